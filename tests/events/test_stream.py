"""GET /api/v1/events/stream/ served by a real ASGI server (uvicorn on a loopback port), read by
an httpx streaming client, as a browser's EventSource or an agent would."""

import asyncio
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from django.core.asgi import get_asgi_application
from django.test import Client
from knox.models import AuthToken

from api.events import hub as hub_module
from core.events import event_emit
from tests.conftest import error_codes
from tests.economy.factories import ListingFactory
from tests.factories import PASSWORD, AssistantFactory, PromptFactory, UserFactory

STREAM = "/api/v1/events/stream/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_asgi(transactional_db) -> Iterator[str]:
    """The project's ASGI application under uvicorn in a thread; its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            get_asgi_application(),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=1,  # open streams never end by themselves
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    for loop in list(hub_module._hubs):  # close the hub's database connection before teardown
        asyncio.run_coroutine_threadsafe(hub_module.hubs_stop(), loop).result(timeout=5)
    server.should_exit = True
    thread.join(timeout=10)


def token_for(user) -> str:
    return AuthToken.objects.create(user)[1]


class SSEReader:
    """Reads a stream in a thread; ``messages`` gets each event (dict with id, event, data),
    comment (``{"comment": ...}``) and ``{"retry": ...}`` as it arrives."""

    def __init__(self, url: str, **headers: str) -> None:
        self.messages: queue.Queue[dict] = queue.Queue()
        self.status: int | None = None
        self._ready = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5.0, read=None))
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        assert self._ready.wait(5), "the stream did not answer"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self.body = b"" if response.status_code == 200 else response.read()
                self._ready.set()
                if response.status_code != 200:
                    return
                current: dict = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.messages.put({"comment": line[1:].strip()})
                    elif line.startswith("retry:"):
                        self.messages.put({"retry": int(line[6:])})
                    elif line == "":
                        if current:
                            self.messages.put(current)
                            current = {}
                    else:
                        key, _, value = line.partition(":")
                        current[key] = value.strip()
        except (httpx.HTTPError, RuntimeError):
            self._ready.set()

    def next_event(self, timeout: float) -> dict:
        """The next event (comments and retry skipped); raises queue.Empty after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if "data" in message:
                return {**message, "data": json.loads(message["data"])}

    def wait_open(self) -> None:
        """Until the server has subscribed the stream (it sends ``retry:`` right after)."""
        assert self.messages.get(timeout=5) == {"retry": 3000}

    def close(self) -> None:
        self._client.close()


@pytest.fixture
def readers() -> Iterator[list[SSEReader]]:
    opened: list[SSEReader] = []
    yield opened
    for reader in opened:
        reader.close()


def open_stream(readers, base: str, user=None, *, query: str = "", **headers) -> SSEReader:
    if user is not None:
        headers.setdefault("Authorization", f"Token {token_for(user)}")
    reader = SSEReader(f"{base}{STREAM}{query}", Accept="text/event-stream", **headers)
    readers.append(reader)
    return reader


def completed(user_ids, steps: int = 1) -> int:
    return event_emit(
        type="chain.completed", data={"chain": 1, "steps": steps}, recipients=user_ids
    ).pk


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
    from api.events.hub import Subscriber
    from core.events import Delivery

    def delivery(i: int) -> Delivery:
        return Delivery(i, 7, "chain.completed", "2026-01-01T00:00:00Z", {"chain": 1, "steps": i})

    class FakeHub:
        position = 0

        def subscribe(self, user_id):
            subscriber = Subscriber(user_id)
            for i in (2, 3, 4):  # 2 and 3 also come from the backlog
                subscriber.put(delivery(i))
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
    assert messages[0] == "retry: 3000\n\n"
    assert [m.split("\n")[0] for m in messages[1:]] == ["id: 2", "id: 3", "id: 4"]


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
