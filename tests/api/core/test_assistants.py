import pytest

from core.models import Assistant
from economy.models import LedgerEntry, Wallet
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.factories import AssistantFactory

pytestmark = pytest.mark.django_db


def test_create_assistant_grants_wallet(owner_client, user):
    r = owner_client.post(
        "/api/v1/assistants/", {"name": "Oracle", "description": "sees"}, format="json"
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["owner"] == user.username
    a = Assistant.objects.get(pk=body["id"])
    assert a.owner == user
    wallet = Wallet.objects.get(assistant=a)
    assert wallet.balance_cents == 10000
    grant = LedgerEntry.objects.get(payee=wallet)
    assert grant.kind == "grant"
    assert grant.amount_cents == 10000
    assert grant.payer is None


def test_create_assistant_needs_auth(anon_client):
    r = anon_client.post("/api/v1/assistants/", {"name": "x"}, format="json")
    assert r.status_code == 401
    assert Assistant.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "required"),
        ({"name": ""}, "blank"),
        ({"name": "x" * 151}, "max_length"),
        ({"name": ["x"]}, "invalid"),
    ],
)
def test_create_assistant_bad_input(owner_client, body, code):
    r = owner_client.post("/api/v1/assistants/", body, format="json")
    assert r.status_code == 400
    assert error_codes(r) == [code]
    assert Assistant.objects.count() == 0


def test_owner_field_cannot_be_forged(owner_client, user, other_user):
    r = owner_client.post(
        "/api/v1/assistants/", {"name": "x", "owner": other_user.username}, format="json"
    )
    assert r.status_code == 201
    assert Assistant.objects.get().owner == user


def test_list_and_filter(anon_client, assistant, other_assistant):
    r = anon_client.get("/api/v1/assistants/")
    assert r.status_code == 200
    assert r.json()["count"] == 2
    r = anon_client.get(f"/api/v1/assistants/?owner={assistant.owner_id}")
    assert [a["id"] for a in r.json()["results"]] == [assistant.id]


def test_update_own_and_not_others(owner_client, assistant, other_assistant):
    r = owner_client.patch(
        f"/api/v1/assistants/{assistant.id}/", {"name": "Renamed"}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Renamed"
    r = owner_client.patch(
        f"/api/v1/assistants/{other_assistant.id}/", {"name": "Stolen"}, format="json"
    )
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    other_assistant.refresh_from_db()
    assert other_assistant.name != "Stolen"


def test_staff_may_update_any(staff_client, assistant):
    r = staff_client.patch(
        f"/api/v1/assistants/{assistant.id}/", {"name": "Moderated"}, format="json"
    )
    assert r.status_code == 200


def test_no_delete(owner_client, assistant):
    r = owner_client.delete(f"/api/v1/assistants/{assistant.id}/")
    assert r.status_code == 405
    assert Assistant.objects.filter(pk=assistant.pk).exists()


def test_unknown_assistant_is_404(anon_client):
    r = anon_client.get("/api/v1/assistants/999999/")
    assert r.status_code == 404
    assert error_codes(r) == ["not_found"]


def test_list_query_count_constant(anon_client):
    AssistantFactory.create_batch(4)
    assert assert_list_queries_constant(anon_client, "/api/v1/assistants/") <= 2


@pytest.mark.parametrize("size", ["0", "101", "abc", "-1"])
def test_bad_page_size_is_400(anon_client, size):
    r = anon_client.get(f"/api/v1/assistants/?page_size={size}")
    assert r.status_code == 400
    assert r.json()["errors"][0]["attr"] == "page_size"


def test_bad_page_is_404(anon_client, assistant):
    r = anon_client.get("/api/v1/assistants/?page=99")
    assert r.status_code == 404


def test_large_counts_are_cached_small_ones_exact(anon_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_COUNT_CACHE_MIN_ROWS = 1000
    AssistantFactory.create_batch(2)
    assert anon_client.get("/api/v1/assistants/").json()["count"] == 2
    AssistantFactory()
    assert anon_client.get("/api/v1/assistants/").json()["count"] == 3  # exact below the floor
    settings.API_COUNT_CACHE_MIN_ROWS = 3
    assert anon_client.get("/api/v1/assistants/").json()["count"] == 3  # now cached
    AssistantFactory()
    n, r = count_queries(lambda: anon_client.get("/api/v1/assistants/"))
    assert r.json()["count"] == 3  # served from the cache, no COUNT(*)
    assert len(r.json()["results"]) == 4
    assert n == 1
    assert (
        anon_client.get("/api/v1/assistants/?name=assistant").json()["count"] == 4
    )  # other filter
    cache.clear()
    assert anon_client.get("/api/v1/assistants/").json()["count"] == 4
