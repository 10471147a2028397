"""GET /api/v1/events/: the caller's events, oldest first, cursor pages, type and after filters."""

import pytest

from core.events import event_emit
from core.models import Event
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


def emit(type_: str, users, **data):
    defaults = {
        "chain.completed": {"chain": 1, "steps": 1},
        "chain.turn": {"chain": 1, "step": 1, "assistant": 1},
    }
    return event_emit(type=type_, data={**defaults[type_], **data}, recipients=users)


def test_a_purchase_shows_in_both_feeds_with_its_data(
    owner_client, other_client, assistant, other_assistant
):
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=150)
    r = other_client.post(
        f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}, format="json"
    )
    assert r.status_code == 201
    for client in (owner_client, other_client):
        r = client.get(URL)
        assert r.status_code == 200
        [event] = r.json()["results"]
        assert event["type"] == "purchase.completed"
        assert event["data"]["price"] == "1.50"
        assert event["data"]["listing"] == listing.pk
        assert event["id"] == Event.objects.get().pk
        assert event["created_at"].endswith("Z")


def test_only_my_events_oldest_first_in_cursor_pages(owner_client, user, other_user):
    mine = [emit("chain.completed", [user.pk], steps=i).pk for i in range(5)]
    emit("chain.completed", [other_user.pk])
    both = emit("chain.turn", [user.pk, other_user.pk]).pk
    r = owner_client.get(URL, {"page_size": 4})
    assert r.status_code == 200
    body = r.json()
    assert [e["id"] for e in body["results"]] == mine[:4]
    r = owner_client.get(body["next"])
    assert [e["id"] for e in r.json()["results"]] == [mine[4], both]
    assert r.json()["next"] is None


def test_filter_by_types_and_after(owner_client, user):
    a = emit("chain.completed", [user.pk]).pk
    b = emit("chain.turn", [user.pk]).pk
    c = emit("chain.completed", [user.pk]).pk

    def ids(**params):
        r = owner_client.get(URL, params)
        assert r.status_code == 200, r.content
        return [e["id"] for e in r.json()["results"]]

    assert ids(type="chain.turn") == [b]
    assert ids(type=["chain.turn", "chain.completed"]) == [a, b, c]
    assert ids(after=a) == [b, c]
    assert ids(after=b, type="chain.completed") == [c]
    assert ids(after=c) == []
    assert ids(after=0) == [a, b, c]


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"type": "no.such"}, "type"),
        ({"after": "x"}, "after"),
        ({"after": "-1"}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_filters_are_400(owner_client, params, attr):
    r = owner_client.get(URL, params)
    assert r.status_code == 400
    assert r.json()["errors"][0]["attr"] == attr


def test_bad_cursor_is_404(owner_client):
    assert owner_client.get(URL, {"cursor": "garbage"}).status_code == 404


def test_needs_auth(anon_client):
    r = anon_client.get(URL)
    assert r.status_code == 401
    assert error_codes(r) == ["not_authenticated"]


def test_writes_are_405(owner_client):
    assert owner_client.post(URL, {}, format="json").status_code == 405


def test_queries_constant_whatever_the_page_size(owner_client, user):
    for _ in range(5):
        emit("chain.completed", [user.pk, AssistantFactory().owner_id])
    n1, r1 = count_queries(lambda: owner_client.get(URL, {"page_size": 1}))
    n100, r100 = count_queries(lambda: owner_client.get(URL, {"page_size": 100}))
    assert r1.status_code == r100.status_code == 200
    assert len(r100.json()["results"]) == 5
    assert n1 == n100 == 1
