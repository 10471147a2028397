import pytest

from economy.models import LedgerEntry, Wallet
from economy.services import ledger_transfer
from tests.conftest import count_queries, error_codes
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory

pytestmark = pytest.mark.django_db


def test_new_assistant_gets_grant(owner_client, assistant):
    r = owner_client.get(f"/api/v1/assistants/{assistant.id}/wallet/")
    assert r.status_code == 200, r.content
    assert r.json()["assistant"] == assistant.id
    assert r.json()["balance"] == "100.00"
    assert LedgerEntry.objects.filter(kind="grant", payee__assistant=assistant).count() == 1
    assert_ledger_invariants()


def test_wallet_is_owner_only(anon_client, other_client, staff_client, assistant):
    url = f"/api/v1/assistants/{assistant.id}/wallet/"
    assert anon_client.get(url).status_code == 401
    r = other_client.get(url)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert staff_client.get(url).status_code == 200
    assert other_client.get("/api/v1/assistants/999999/wallet/").status_code == 404


def test_ledger_feed_newest_first_with_direction(owner_client, assistant, other_assistant):
    mine = Wallet.objects.get(assistant=assistant)
    theirs = Wallet.objects.get(assistant=other_assistant)
    ledger_transfer(
        payer=mine, payee=theirs, amount_cents=250, kind="prompt_purchase", reference="x"
    )
    ledger_transfer(
        payer=theirs, payee=mine, amount_cents=100, kind="prompt_purchase", reference="y"
    )
    r = owner_client.get(f"/api/v1/assistants/{assistant.id}/wallet/ledger/")
    assert r.status_code == 200, r.content
    rows = r.json()["results"]
    assert [(e["direction"], e["amount"], e["counterparty"]) for e in rows] == [
        ("credit", "1.00", other_assistant.id),
        ("debit", "2.50", other_assistant.id),
        ("credit", "100.00", None),
    ]
    assert "next" in r.json()
    assert owner_client.get(f"/api/v1/assistants/{assistant.id}/wallet/").json()["balance"] == (
        "98.50"
    )
    r = owner_client.get(f"/api/v1/assistants/{assistant.id}/wallet/ledger/?kind=grant")
    assert [e["kind"] for e in r.json()["results"]] == ["grant"]
    assert_ledger_invariants()


def test_ledger_is_owner_only(anon_client, other_client, staff_client, assistant):
    url = f"/api/v1/assistants/{assistant.id}/wallet/ledger/"
    assert anon_client.get(url).status_code == 401
    r = other_client.get(url)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert staff_client.get(url).status_code == 200
    assert other_client.get("/api/v1/assistants/999999/wallet/ledger/").status_code == 404


def test_ledger_cursor_pages_and_constant_queries(owner_client, assistant):
    mine = Wallet.objects.get(assistant=assistant)
    for _ in range(5):
        other = AssistantFactory()
        ledger_transfer(
            payer=mine, payee=other.wallet, amount_cents=1, kind="prompt_purchase", reference=""
        )
    url = f"/api/v1/assistants/{assistant.id}/wallet/ledger/"
    n1, r1 = count_queries(lambda: owner_client.get(url + "?page_size=1"))
    n100, r100 = count_queries(lambda: owner_client.get(url + "?page_size=100"))
    assert r1.status_code == r100.status_code == 200
    assert len(r100.json()["results"]) == 6
    assert n1 == n100
    page2 = owner_client.get(r1.json()["next"])
    assert page2.json()["results"][0]["id"] < r1.json()["results"][0]["id"]
    assert owner_client.get(url + "?page_size=101").status_code == 400


def test_ledger_entries_are_immutable(assistant):
    entry = LedgerEntry.objects.get(payee__assistant=assistant)
    with pytest.raises(ValueError, match="immutable"):
        entry.save()
    with pytest.raises(ValueError, match="immutable"):
        entry.delete()
