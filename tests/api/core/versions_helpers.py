"""Helpers shared by the prompt version tests."""

from core.models import PromptVersion

MARKET = "/api/v1/market/prompts/"


def url(prompt, tail: str = "") -> str:
    return f"/api/v1/prompts/{prompt.pk}/{tail}"


def edit(client, prompt, **body):
    return client.patch(url(prompt), body, format="json")


def numbers(prompt) -> list[int]:
    return list(
        PromptVersion.objects.filter(prompt=prompt)
        .order_by("number")
        .values_list("number", flat=True)
    )
