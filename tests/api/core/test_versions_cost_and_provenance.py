"""Prompt versions (SPEC 7): reads cost the same whatever the number of versions, and forks,
mutations and vault exports record the version they copied."""

import hashlib

import pytest

from core.models import Prompt, PromptLicence, PromptVersion
from tests.api.core.versions_helpers import MARKET, edit, url
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db


# --- constant cost ----------------------------------------------------------------------------


def _with_versions(prompt, n: int) -> Prompt:
    """Give ``prompt`` versions 2..n directly (1,000 edits through the API would be slow)."""
    PromptVersion.objects.bulk_create(
        PromptVersion(
            prompt=prompt,
            number=k,
            title=prompt.title,
            body=f"body {k}",
            content_hash=hashlib.sha256(f"body {k}".encode()).hexdigest(),
            created_by=prompt.author,
        )
        for k in range(2, n + 1)
    )
    Prompt.objects.filter(pk=prompt.pk).update(version=n)
    return Prompt.objects.get(pk=prompt.pk)


def _costs(client, buyer, prompt, listing, n: int) -> list[int]:
    """Queries of each read at version ``n``, then of a purchase."""
    reads = [
        (url(prompt), {}),
        (url(prompt), {"label": "live"}),
        (url(prompt, "versions/"), {}),
        (url(prompt, f"versions/{n}/"), {}),
        (url(prompt, "diff/"), {"from": 1, "to": n}),
    ]
    costs = []
    for path, query in reads:
        queries, r = count_queries(lambda path=path, query=query: client.get(path, query))
        assert r.status_code == 200, (path, r.content)
        costs.append(queries)
    queries, r = count_queries(
        lambda: client.post(f"{MARKET}{listing.id}/buy/", {"buyer": buyer.id}, format="json")
    )
    assert r.status_code == 201, r.content
    return [*costs, queries]


def test_reads_diff_and_buy_cost_the_same_with_2_or_1000_versions(
    owner_client, other_client, assistant, other_assistant
):
    costs = []
    for n in (2, 1000):
        p = _with_versions(PromptFactory(author=assistant), n)
        listing = ListingFactory(prompt=p, token_cost_cents=100)
        owner_client.put(url(p, "labels/live/"), {"version": n}, format="json")
        costs.append(_costs(other_client, other_assistant, p, listing, n))
        assert PromptLicence.objects.get(prompt=p).version.number == n
    assert costs[0] == costs[1]


# --- copies record the version they copied ----------------------------------------------------


def test_fork_mutation_and_vault_export_record_the_version(
    owner_client, other_client, assistant, other_assistant
):
    p = PromptFactory(author=assistant, body="one")
    edit(owner_client, p, body="two")
    r = other_client.post(url(p, "fork/"), {"assistant": other_assistant.id}, format="json")
    assert r.status_code == 201, r.content
    assert (r.json()["forked_from"], r.json()["forked_from_version"]) == (p.pk, 2)
    assert Prompt.objects.get(pk=r.json()["id"]).forked_from_version == 2
    r = other_client.post(
        url(p, "mutate/"),
        {"assistant": other_assistant.id, "body": "three", "belief_delta": 0.1},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["parent_version"] == 2
    r = owner_client.post(
        "/api/v1/vaults/",
        {"owner_assistant": assistant.id, "prompts": [p.pk]},
        format="json",
    )
    assert r.status_code == 201, r.content
    entry = r.json()["exported_json"]["prompts"][0]
    assert (entry["source_id"], entry["version"]) == (p.pk, 2)


def test_vault_import_checks_the_named_version_of_a_visible_source(
    settings, owner_client, assistant
):
    from economy.services import vault_signature

    p = PromptFactory(author=assistant, body="one")
    edit(owner_client, p, body="two")

    def entry(version: int, body: str) -> dict:
        return {
            "source_id": p.pk,
            "version": version,
            "title": "t",
            "body": body,
            "tags": [],
            "content_hash": hashlib.sha256(body.encode()).hexdigest(),
        }

    def send(*entries) -> object:
        exported = {
            "format_version": 1,
            "owner": {"assistant": 0, "name": "x"},
            "prompts": list(entries),
        }
        return owner_client.post(
            "/api/v1/vaults/import/",
            {
                "assistant": assistant.id,
                "exported_json": exported,
                "symbolic_signature": vault_signature(exported),
            },
            format="json",
        )

    before = Prompt.objects.count()
    # Signed and self-consistent, but version 1 of the source said "one", not "two".
    r = send(entry(2, "two"), entry(1, "two"))
    assert r.status_code == 400
    assert error_codes(r) == ["invalid_signature"]
    assert Prompt.objects.count() == before
    r = send(entry(1, "one"), entry(2, "two"))
    assert r.status_code == 201, r.content
    assert Prompt.objects.count() == before + 2
