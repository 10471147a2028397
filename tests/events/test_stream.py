"""GET /api/v1/events/stream/ served by a real ASGI server (uvicorn on a loopback port), read by
an httpx streaming client, as a browser's EventSource or an agent would."""

import queue
import time

import httpx
import pytest
from django.test import Client

from tests.economy.factories import ListingFactory
from tests.events.stream_helpers import completed, open_stream, token_for
from tests.factories import PASSWORD, AssistantFactory, PromptFactory, UserFactory


def test_a_purchase_reaches_the_sellers_open_stream_within_a_second(live_asgi, readers):
    seller, buyer = AssistantFactory(), AssistantFactory()
    listing = ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=100)
    stream = open_stream(readers, live_asgi, seller.owner)
    stream.wait_open()
    started = time.monotonic()
    r = httpx.post(
        f"{live_asgi}/api/v1/market/prompts/{listing.pk}/buy/",
        json={"buyer": buyer.pk},
        headers={"Authorization": f"Token {token_for(buyer.owner)}"},
    )
    assert r.status_code == 201, r.text
    event = stream.next_event(timeout=1.0)
    assert time.monotonic() - started < 1.0 + 0.5  # the request itself included
    assert event["event"] == "purchase.completed"
    assert event["data"]["type"] == "purchase.completed"
    assert event["data"]["data"]["listing"] == listing.pk
    assert int(event["id"]) == event["data"]["id"]


def test_a_commit_this_process_is_not_told_of_arrives_by_the_bus(live_asgi, readers, monkeypatch):
    """Commits in other processes reach the hub only through the bus (poll on SQLite, NOTIFY
    on PostgreSQL): with the in-process listeners silenced, the event still arrives in 1 s."""
    user = UserFactory()
    stream = open_stream(readers, live_asgi, user)
    stream.wait_open()
    monkeypatch.setattr("core.events.emit._listeners", [])
    started = time.monotonic()
    event_id = completed([user.pk])
    event = stream.next_event(timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert int(event["id"]) == event_id


def test_resume_after_last_event_id_gets_exactly_the_missed_ones(live_asgi, readers):
    user = UserFactory()
    ids = [completed([user.pk], steps=i) for i in range(4)]
    completed([UserFactory().pk])  # someone else's, in between
    for how in ("header", "query"):
        if how == "header":
            stream = open_stream(readers, live_asgi, user, **{"Last-Event-ID": str(ids[1])})
        else:
            stream = open_stream(readers, live_asgi, user, query=f"?last_event_id={ids[1]}")
        got = [int(stream.next_event(timeout=2)["id"]) for _ in ids[2:]]
        assert got == ids[2:]
        live = completed([user.pk])
        assert int(stream.next_event(timeout=2)["id"]) == live
        ids.append(live)
        with pytest.raises(queue.Empty):
            stream.next_event(timeout=0.7)  # nothing repeated


def test_a_new_stream_starts_now(live_asgi, readers):
    user = UserFactory()
    completed([user.pk])
    stream = open_stream(readers, live_asgi, user)
    stream.wait_open()
    new = completed([user.pk])
    assert int(stream.next_event(timeout=2)["id"]) == new


def test_heartbeats(live_asgi, readers, settings):
    settings.EVENTS_HEARTBEAT_SECONDS = 0.2
    stream = open_stream(readers, live_asgi, UserFactory())
    stream.wait_open()
    assert stream.messages.get(timeout=2) == {"comment": "heartbeat"}
    assert stream.messages.get(timeout=2) == {"comment": "heartbeat"}


def test_another_users_events_never_arrive(live_asgi, readers):
    alice, bob = UserFactory(), UserFactory()
    to_alice = open_stream(readers, live_asgi, alice)
    to_bob = open_stream(readers, live_asgi, bob)
    to_alice.wait_open()
    to_bob.wait_open()
    for_alice = completed([alice.pk])
    for_bob = completed([bob.pk])
    assert int(to_alice.next_event(timeout=2)["id"]) == for_alice
    assert int(to_bob.next_event(timeout=2)["id"]) == for_bob
    with pytest.raises(queue.Empty):
        to_alice.next_event(timeout=0.7)
    with pytest.raises(queue.Empty):
        to_bob.next_event(timeout=0.2)


def test_session_auth_for_the_browser(live_asgi, readers):
    user = UserFactory()
    browser = Client()
    assert browser.login(username=user.username, password=PASSWORD)
    cookie = browser.cookies["sessionid"].value
    stream = open_stream(readers, live_asgi, Cookie=f"sessionid={cookie}")
    assert stream.status == 200
    stream.wait_open()
    event_id = completed([user.pk])
    assert int(stream.next_event(timeout=2)["id"]) == event_id
