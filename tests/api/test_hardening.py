"""Inputs that once reached the database or the parser unchecked: each is a clear 4xx now."""

import pytest

from core.models import Assistant
from economy.models import PromptTokenListing
from tests.conftest import error_codes
from tests.factories import CodexClauseFactory, PromptFactory

pytestmark = pytest.mark.django_db


def test_deeply_nested_json_is_400(anon_client):
    body = "[" * 5000 + "]" * 5000
    r = anon_client.post("/api/v1/auth/login/", body, content_type="application/json")
    assert r.status_code == 400
    assert error_codes(r) == ["parse_error"]


@pytest.mark.parametrize("cursor", ["cD1hYmM=", "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==", "garbage"])
def test_forged_cursor_is_404(owner_client, assistant, cursor):
    r = owner_client.get(f"/api/v1/assistants/{assistant.pk}/wallet/ledger/?cursor={cursor}")
    assert r.status_code == 404
    assert error_codes(r) == ["not_found"]


def test_nul_in_a_query_is_a_clear_400(anon_client, assistant):
    PromptFactory(author=assistant, title="Sea")
    for url in ["/api/v1/prompts/?search=%00", "/api/v1/market/prompts/?search=S%00ea"]:
        r = anon_client.get(url)
        assert r.status_code == 400
        assert error_codes(r) == ["null_characters_not_allowed"]


@pytest.mark.parametrize(
    "cost",
    [
        "1_000",
        "\u0661\u0660",
        "\uff11\uff10.\uff15",
        "+5",
        " 5",
        "5 ",
        "1e3",
        "NaN",
        "10.001",
        "",
        True,
    ],
)
def test_money_must_be_a_plain_decimal(owner_client, assistant, cost):
    prompt = PromptFactory(author=assistant)
    r = owner_client.post(
        "/api/v1/market/prompts/", {"prompt": prompt.pk, "token_cost": cost}, format="json"
    )
    assert r.status_code == 400, (cost, r.content)
    assert r.json()["errors"][0]["attr"] == "token_cost"
    assert not PromptTokenListing.objects.exists()


@pytest.mark.parametrize(
    ("cost", "cents"), [("5", 500), ("5.5", 550), ("0.01", 1), (7, 700), (2.25, 225)]
)
def test_money_accepts_plain_decimals(owner_client, assistant, cost, cents):
    prompt = PromptFactory(author=assistant)
    r = owner_client.post(
        "/api/v1/market/prompts/", {"prompt": prompt.pk, "token_cost": cost}, format="json"
    )
    assert r.status_code == 201, r.content
    assert PromptTokenListing.objects.get().token_cost_cents == cents


def test_negative_money_says_so(owner_client, assistant):
    prompt = PromptFactory(author=assistant)
    r = owner_client.post(
        "/api/v1/market/prompts/", {"prompt": prompt.pk, "token_cost": "-1.00"}, format="json"
    )
    assert r.status_code == 400
    assert error_codes(r) == ["negative"]


def test_nan_belief_delta_is_400(owner_client, assistant):
    parent = PromptFactory(author=assistant)
    r = owner_client.post(
        f"/api/v1/prompts/{parent.pk}/mutate/",
        {"assistant": assistant.pk, "body": "x", "belief_delta": "nan"},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["attr"] == "belief_delta"


def test_nul_in_memory_snapshot_is_400(owner_client, assistant):
    from tests.training.factories import make_chain

    chain = make_chain(seed=assistant, involved=[assistant])
    r = owner_client.post(
        f"/api/v1/train/chains/{chain.pk}/step/",
        {"reflection_notes": "x", "memory_snapshot": {"a": "b\u0000c"}, "belief_delta": 0},
        format="json",
    )
    assert r.status_code == 400
    assert error_codes(r) == ["null_character"]


def test_huge_integer_alignment_is_400(owner_client, assistant):
    CodexClauseFactory(code="care")
    huge = "1" + "0" * 400
    body = '{"curator": ' + str(assistant.pk) + ', "curriculum_title": "t", '
    body += '"codex_alignment": {"care": ' + huge + "}}"
    r = owner_client.post("/api/v1/market/curriculum/", body, content_type="application/json")
    assert r.status_code == 400


def test_mentoring_a_sibling_assistant_is_400(owner_client, assistant, user):
    from tests.factories import AssistantFactory
    from tests.mentorship.factories import mentor_make

    mentor_make(assistant)
    sibling = AssistantFactory(owner=user)
    r = owner_client.post(
        f"/api/v1/assistants/{assistant.pk}/mentorship/adopt/",
        {"mentee": sibling.pk},
        format="json",
    )
    assert r.status_code == 400
    assert error_codes(r) == ["cannot_mentor_self"]


def test_an_offer_made_private_is_withdrawn(
    owner_client, other_client, anon_client, assistant, other_assistant
):
    from tests.mentorship.factories import mentor_make

    tag = mentor_make(assistant, prompts=2)
    hidden, shown = tag.offered_prompts.order_by("id")
    owner_client.patch(f"/api/v1/prompts/{hidden.pk}/", {"is_public": False}, format="json")
    page = anon_client.get(f"/api/v1/assistants/{assistant.pk}/mentorship/").json()
    assert [p["id"] for p in page["offered_prompts"]] == [shown.pk]
    r = other_client.post(
        f"/api/v1/assistants/{assistant.pk}/mentorship/adopt/",
        {"mentee": other_assistant.pk, "prompts": [hidden.pk]},
        format="json",
    )
    assert r.status_code == 400


def test_admin_created_assistant_gets_its_wallet(client, staff_user, user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    r = client.post(
        "/admin/core/assistant/add/", {"owner": user.pk, "name": "Admin-made", "description": ""}
    )
    assert r.status_code == 302, r.content[:500]
    assistant = Assistant.objects.get(name="Admin-made")
    assert assistant.wallet.balance_cents == 10000
