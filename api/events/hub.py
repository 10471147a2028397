"""One listener per process fans new events out to every open stream of that process.

Open streams cost no queries: each registers a queue here. The hub wakes when an event may have
been committed and then reads what is new with ONE query for all streams:

- in this process, right after the commit (``core.events`` on-commit listeners);
- from other processes, by PostgreSQL ``LISTEN`` (``event_emit`` queues a ``NOTIFY`` that is
  delivered at commit), or Redis pub/sub when ``EVENTS_BUS=redis``, or on SQLite by polling the
  newest event id every ``EVENTS_POLL_SECONDS`` while streams are open.

Events commit in id order (``core.events``), so "everything after the last id read" never skips
one, and a stream resuming after ``Last-Event-ID`` gets exactly what it missed.
"""

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, connection, connections

from core.events import (
    EVENTS_CHANNEL,
    Delivery,
    event_deliveries_after,
    event_last_id,
    event_listener_add,
    event_listener_remove,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

FAN_OUT_BATCH = 1000
LISTENER_APPLICATION_NAME = "mythos-events-listener"
# A stream this far behind is closed; its client reconnects with Last-Event-ID and loses nothing.
QUEUE_LIMIT = 10_000


def events_bus() -> str:
    """``postgres`` (LISTEN/NOTIFY), ``redis`` (pub/sub) or ``poll``: the setting, or by default
    the database's own channel on PostgreSQL, Redis when REDIS_URL is set, else polling."""
    choice = getattr(settings, "EVENTS_BUS", "auto")
    if choice != "auto":
        return choice
    if connections["default"].vendor == "postgresql":
        return "postgres"
    return "redis" if getattr(settings, "REDIS_URL", None) else "poll"


def sse_message(delivery: Delivery) -> bytes:
    """One Server-Sent Event: ``id`` to resume after, ``event`` the type, ``data`` the event as
    the feed shows it. It names no recipient, so one encoding serves every stream."""
    body = json.dumps(
        {
            "id": delivery.id,
            "type": delivery.type,
            "created_at": delivery.created_at,
            "data": delivery.data,
        },
        separators=(",", ":"),
    )
    return f"id: {delivery.id}\nevent: {delivery.type}\ndata: {body}\n\n".encode()


# An event id and its encoded message; None ends the stream.
Message = tuple[int, bytes]


class Subscriber:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue()

    def put(self, message: Message) -> None:
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.queue.put_nowait(None)  # the stream ends; the client resumes from its last id
            return
        self.queue.put_nowait(message)


class EventHub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.subscribers: dict[int, set[Subscriber]] = defaultdict(set)
        self.position = 0
        self.wake = asyncio.Event()
        # One thread (so one database connection) per process for every stream's reads.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="events-hub")
        self.tasks: list[asyncio.Task] = []
        self.bus = events_bus()

    # --- life cycle ---

    async def start(self) -> None:
        self.position = await self.db(event_last_id)
        event_listener_add(self.wake_soon)
        self.tasks.append(self.loop.create_task(self._fan_out()))
        source = {"postgres": self._listen_postgres, "redis": self._listen_redis}.get(
            self.bus, self._poll
        )
        self.tasks.append(self.loop.create_task(source()))

    async def stop(self) -> None:
        event_listener_remove(self.wake_soon)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.db(_connection_close)
        self.executor.shutdown(wait=False)

    def wake_soon(self, _event_id: int | None = None) -> None:
        """Thread-safe: called after a commit in any thread of this process."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.wake.set)

    async def db(self, func: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a database read on the hub's own thread; a broken connection is dropped so the
        next call reconnects."""

        def call() -> T:
            try:
                return func(**kwargs)
            except DatabaseError:
                connection.close()
                raise

        return await self.loop.run_in_executor(self.executor, call)

    # --- streams ---

    def subscribe(self, user_id: int) -> Subscriber:
        subscriber = Subscriber(user_id)
        self.subscribers[user_id].add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subs = self.subscribers.get(subscriber.user_id)
        if subs is not None:
            subs.discard(subscriber)
            if not subs:
                del self.subscribers[subscriber.user_id]

    # --- fan-out ---

    async def _fan_out(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            try:
                while await self._fan_out_once():
                    pass
            except DatabaseError:
                log.warning("events: reading new events failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                self.wake.set()

    async def _fan_out_once(self) -> bool:
        """Deliver the next batch; True when there may be more."""
        rows = await self.db(event_deliveries_after, event_id=self.position, limit=FAN_OUT_BATCH)
        if not rows:
            return False
        full = len(rows) == FAN_OUT_BATCH
        if full:
            # The batch may end inside an event's recipients: keep only whole events, or read
            # the one big event whole.
            last = rows[-1].id
            whole = [r for r in rows if r.id != last]
            rows = whole or await self.db(
                event_deliveries_after, event_id=self.position, limit=10**9
            )
            rows = [r for r in rows if r.id <= last]
        encoded: dict[int, Message] = {}  # each event encoded once, for all its streams
        for row in rows:
            subscribers = self.subscribers.get(row.user_id)
            if not subscribers:
                continue
            message = encoded.get(row.id)
            if message is None:
                message = encoded[row.id] = (row.id, sse_message(row))
            for subscriber in subscribers:
                subscriber.put(message)
        self.position = max(self.position, rows[-1].id)
        return full

    # --- wake-up sources for commits in other processes ---

    async def _poll(self) -> None:
        interval = float(getattr(settings, "EVENTS_POLL_SECONDS", 0.5))
        while True:
            await asyncio.sleep(interval)
            if not self.subscribers:
                continue  # nobody to tell: no query at all
            try:
                if await self.db(event_last_id) > self.position:
                    self.wake.set()
            except DatabaseError:
                log.warning("events: polling failed", exc_info=True)

    async def _listen_postgres(self) -> None:
        import psycopg

        params = connections["default"].settings_dict
        conninfo = {
            "dbname": params["NAME"],
            "user": params.get("USER") or None,
            "password": params.get("PASSWORD") or None,
            "host": params.get("HOST") or None,
            "port": params.get("PORT") or None,
            # Named, so pg_stat_activity tells the hub's one listener from pooled connections.
            "application_name": LISTENER_APPLICATION_NAME,
        }
        delay = 1.0
        while True:
            try:
                aconn = await psycopg.AsyncConnection.connect(
                    autocommit=True, **{k: v for k, v in conninfo.items() if v}
                )
                async with aconn:
                    await aconn.execute(f"LISTEN {EVENTS_CHANNEL}")
                    delay = 1.0
                    self.wake.set()  # catch up on anything committed while not listening
                    async for _ in aconn.notifies():
                        self.wake.set()
            except psycopg.Error:
                log.warning("events: LISTEN connection lost; reconnecting", exc_info=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def _listen_redis(self) -> None:
        import redis.asyncio as aioredis

        delay = 1.0
        while True:
            try:
                client = aioredis.from_url(str(settings.REDIS_URL))
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(redis_channel())
                    delay = 1.0
                    self.wake.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.wake.set()
            except (aioredis.RedisError, OSError):
                log.warning("events: Redis subscription lost; reconnecting", exc_info=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


def _connection_close() -> None:
    connection.close()  # resolved in the calling thread: the hub thread's own connection


def redis_channel() -> str:
    return getattr(settings, "EVENTS_REDIS_CHANNEL", "mythos:events")


_redis_client: Any = None


def redis_publish(event_id: int) -> None:
    """On-commit publisher for ``EVENTS_BUS=redis``: tells the other processes' hubs. Redis being
    down loses no event: hubs catch up when they resubscribe."""
    import redis

    global _redis_client
    try:
        if _redis_client is None:
            _redis_client = redis.Redis.from_url(str(settings.REDIS_URL), socket_timeout=1)
        _redis_client.publish(redis_channel(), str(event_id))
    except (redis.RedisError, OSError):
        log.warning("events: Redis publish failed", exc_info=True)


_hubs: dict[asyncio.AbstractEventLoop, EventHub] = {}
_starting: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


async def hub() -> EventHub:
    """The running event loop's hub, started on first use."""
    loop = asyncio.get_running_loop()
    existing = _hubs.get(loop)
    if existing is not None:
        return existing
    lock = _starting.setdefault(loop, asyncio.Lock())
    async with lock:
        if loop not in _hubs:
            new = EventHub(loop)
            await new.start()
            _hubs[loop] = new
    return _hubs[loop]


async def hubs_stop() -> None:
    """Stop this loop's hub (tests, shutdown)."""
    loop = asyncio.get_running_loop()
    existing = _hubs.pop(loop, None)
    _starting.pop(loop, None)
    if existing is not None:
        await existing.stop()
