from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import PromptLicence
from economy.models import IdempotencyKey, LedgerEntry, Wallet
from economy.services import idempotency_keys_purge
from tests.conftest import error_codes
from tests.economy.factories import ListingFactory
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(assistant):
    return ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=1000)


def buy(client, listing, buyer, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/v1/market/prompts/{listing.id}/buy/", {"buyer": buyer.id}, format="json", **headers
    )


def test_replay_returns_first_response_and_charges_nothing(other_client, listing, other_assistant):
    first = buy(other_client, listing, other_assistant, key="k-1")
    assert first.status_code == 201
    again = buy(other_client, listing, other_assistant, key="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 1
    assert Wallet.objects.get(assistant=other_assistant).balance_cents == 9000
    record = IdempotencyKey.objects.get()
    assert (record.state, record.response_status, record.scope) == (
        "completed",
        201,
        "market_prompts_buy",
    )
    # without the key the second purchase is a real one, refused
    r = buy(other_client, listing, other_assistant)
    assert r.status_code == 409
    assert error_codes(r) == ["already_owned"]
    assert_ledger_invariants()


def test_same_key_different_request_is_rejected(other_client, assistant, listing, other_assistant):
    assert buy(other_client, listing, other_assistant, key="k-2").status_code == 201
    other_listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
    r = buy(other_client, other_listing, other_assistant, key="k-2")
    assert r.status_code == 409
    assert error_codes(r) == ["idempotency_key_reused"]
    assert r.json()["errors"][0]["attr"] == "Idempotency-Key"
    assert not PromptLicence.objects.filter(prompt=other_listing.prompt).exists()
    assert Wallet.objects.get(assistant=other_assistant).balance_cents == 9000


def test_keys_are_per_user(other_client, client_for, listing, other_assistant):
    assert buy(other_client, listing, other_assistant, key="shared").status_code == 201
    third = AssistantFactory()
    r = buy(client_for(third.owner), listing, third, key="shared")
    assert r.status_code == 201
    assert r.json()["buyer"] == third.id
    assert IdempotencyKey.objects.count() == 2


def test_error_outcomes_are_replayed_too(other_client, assistant, other_assistant):
    pricey = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=20000)
    r1 = buy(other_client, pricey, other_assistant, key="k-3")
    assert r1.status_code == 409
    assert error_codes(r1) == ["insufficient_funds"]
    r2 = buy(other_client, pricey, other_assistant, key="k-3")
    assert (r2.status_code, r2.json()) == (409, r1.json())
    assert r2["Idempotent-Replayed"] == "true"


def test_in_progress_key_is_409(other_client, user, listing, other_assistant, other_user):
    r = buy(other_client, listing, other_assistant, key="k-4")
    IdempotencyKey.objects.filter(key="k-4").update(state="in_progress")
    r = buy(other_client, listing, other_assistant, key="k-4")
    assert r.status_code == 409
    assert error_codes(r) == ["idempotency_request_in_progress"]
    assert r.json()["errors"][0]["attr"] == "Idempotency-Key"


def test_invalid_key_is_400(other_client, listing, other_assistant):
    for key in ("", "x" * 256, "naïve"):
        r = buy(other_client, listing, other_assistant, key=key)
        assert r.status_code == 400, key
        assert error_codes(r) == ["invalid_idempotency_key"]
        assert r.json()["errors"][0]["attr"] == "Idempotency-Key"
    assert not PromptLicence.objects.exists()


def test_expired_keys_are_free_again_and_purgeable(
    settings, other_client, listing, other_assistant
):
    assert buy(other_client, listing, other_assistant, key="k-5").status_code == 201
    old = timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1)
    IdempotencyKey.objects.update(created_at=old)
    r = buy(other_client, listing, other_assistant, key="k-5")
    assert r.status_code == 409  # run again for real: already owned, not replayed
    assert error_codes(r) == ["already_owned"]
    IdempotencyKey.objects.update(created_at=old)
    assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.exists()
    call_command("purge_idempotency_keys")


def test_recent_keys_survive_purge(other_client, listing, other_assistant):
    buy(other_client, listing, other_assistant, key="k-6")
    assert idempotency_keys_purge() == 0
    assert IdempotencyKey.objects.count() == 1


def test_header_documented_on_buy():
    from pathlib import Path

    import yaml

    schema = yaml.safe_load(
        (Path(__file__).resolve().parents[3] / "openapi/schema.yaml").read_text()
    )
    op = schema["paths"]["/api/v1/market/prompts/{id}/buy/"]["post"]
    headers = [p for p in op["parameters"] if p["in"] == "header"]
    assert [(h["name"], h.get("required", False)) for h in headers] == [("Idempotency-Key", False)]
    assert "idempotency_key_reused" in op["responses"]["409"]["description"]
