"""GET /api/v1/events/stream/: credentials and a bad Last-Event-ID refused, an event both in the
backlog and live sent once, and what WSGI serves."""

import asyncio
import json

import pytest

from tests.conftest import error_codes
from tests.events.stream_helpers import (
    STREAM,
    completed,
    open_stream,
)
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Token not-a-token"}, {"Cookie": "sessionid=forged"}]
)
def test_no_or_bad_credentials_are_401_in_json(live_asgi, readers, headers):
    stream = open_stream(readers, live_asgi, **headers)
    assert stream.status == 401
    body = json.loads(stream.body)
    assert body["errors"][0]["code"] in ("not_authenticated", "authentication_failed")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc", "-1", str(2**63), "1.5"])
def test_bad_last_event_id_is_400(owner_client, value):
    r = owner_client.get(STREAM, HTTP_LAST_EVENT_ID=value, HTTP_ACCEPT="text/event-stream")
    assert r.status_code == 400
    assert r.json()["errors"][0]["attr"] == "last_event_id"
    r = owner_client.get(STREAM, {"last_event_id": value})
    assert r.status_code == 400


@pytest.mark.django_db
def test_anonymous_is_401(anon_client):
    r = anon_client.get(STREAM, HTTP_ACCEPT="text/event-stream")
    assert r.status_code == 401
    assert r["Content-Type"] == "application/json"
    assert error_codes(r) == ["not_authenticated"]


def test_an_event_both_in_the_backlog_and_live_is_sent_once(monkeypatch):
    """An event committed between the stream's subscription and its backlog read is in both:
    it goes out once, in order."""
    from api.events import views
    from api.events.hub import Subscriber, sse_message
    from core.events import Delivery

    def delivery(i: int) -> Delivery:
        return Delivery(i, 7, "chain.completed", "2026-01-01T00:00:00Z", {"chain": 1, "steps": i})

    class FakeHub:
        position = 0

        def subscribe(self, user_id):
            subscriber = Subscriber(user_id)
            for i in (2, 3, 4):  # 2 and 3 also come from the backlog
                subscriber.put((i, sse_message(delivery(i))))
            return subscriber

        def unsubscribe(self, subscriber):
            pass

        async def db(self, func, /, **kwargs):
            return [delivery(i) for i in (2, 3) if i > kwargs["after"]]

    async def fake_hub():
        return FakeHub()

    monkeypatch.setattr(views, "hub", fake_hub)

    async def first_messages(n: int) -> list[str]:
        stream = views.event_stream(user_id=7, after=1)
        out = [await anext(stream) for _ in range(n)]
        await stream.aclose()
        return out

    messages = asyncio.run(first_messages(4))
    assert messages[0] == b"retry: 3000\n\n"
    assert [m.split(b"\n")[0] for m in messages[1:]] == [b"id: 2", b"id: 3", b"id: 4"]


@pytest.mark.django_db
def test_under_wsgi_the_stream_sends_what_is_there_and_ends(owner_client, user):
    """A sync worker is never held by an open stream: it answers the backlog and closes; the
    client reconnects with Last-Event-ID (a long poll that loses nothing)."""
    first = completed([user.pk])
    second = completed([user.pk])
    completed([UserFactory().pk])
    r = owner_client.get(STREAM, HTTP_LAST_EVENT_ID=str(first))
    assert r.status_code == 200
    assert r["Content-Type"] == "text/event-stream"
    text = b"".join(r.streaming_content).decode()
    assert text.startswith("retry: 3000\n\n")
    assert [line for line in text.splitlines() if line.startswith("id:")] == [f"id: {second}"]
    r = owner_client.get(STREAM)  # without Last-Event-ID: from now, so nothing yet
    assert "id:" not in b"".join(r.streaming_content).decode()


def test_each_event_is_encoded_once_for_all_the_streams_it_reaches(monkeypatch):
    """1,000 open streams of one user cost one JSON encoding per event, not 1,000."""
    from api.events import hub as hub_module
    from core.events import Delivery

    encoded: list[int] = []
    encode = hub_module.sse_message
    monkeypatch.setattr(hub_module, "sse_message", lambda d: encoded.append(d.id) or encode(d))
    rows = [
        Delivery(5, 7, "chain.completed", "2026-01-01T00:00:00Z", {"chain": 1, "steps": 1}),
        Delivery(5, 8, "chain.completed", "2026-01-01T00:00:00Z", {"chain": 1, "steps": 1}),
        Delivery(6, 7, "chain.completed", "2026-01-01T00:00:00Z", {"chain": 1, "steps": 2}),
    ]

    async def fan_out() -> list:
        events = hub_module.EventHub(asyncio.get_running_loop())

        async def db(func, /, **kwargs):
            return rows

        monkeypatch.setattr(events, "db", db)
        subscribers = [events.subscribe(user_id) for user_id in (7, 7, 7, 8)]
        await events._fan_out_once()
        events.executor.shutdown()
        return [[s.queue.get_nowait() for _ in range(s.queue.qsize())] for s in subscribers]

    queues = asyncio.run(fan_out())
    assert encoded == [5, 6]
    assert [[event_id for event_id, _ in q] for q in queues] == [[5, 6], [5, 6], [5, 6], [5]]
    assert queues[0][0][1] is queues[1][0][1] is queues[3][0][1]
