"""The Redis cache, failing open: a Redis outage must never turn into 500s.

Every operation that cannot reach Redis is logged, counted in
``mythos_cache_errors_total{operation}`` and answered as a miss (reads), a no-op (writes) or a
fresh counter (``incr``), so throttles let requests through and cached counts are recomputed.
After a failure the backend does not try Redis again for ``OPTIONS["retry_after_seconds"]``
(default 1 s), so a Redis that hangs costs each request nothing while it is down; redis-py
reconnects on the next try, so everything resumes without a restart when Redis returns.
"""

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, RedisError
from redis.retry import Retry

from .metrics import CACHE_ERRORS

logger = logging.getLogger(__name__)

# Values read ahead in one round trip (``prefetched``) for the code that runs inside it.
_PREFETCHED: ContextVar[dict[str, Any] | None] = ContextVar("cache_prefetched", default=None)

# On the request: the keys its view reads right after the throttle (set by the view, read by
# the throttle's counter), and what that counter's round trip found for them.
READ_AHEAD_KEYS = "cache_read_ahead"
READ_AHEAD_FOUND = "_cache_read_ahead_found"

# Fail fast: no client-side retries (each would add a backoff to every request while Redis is
# down) and short socket timeouts. Overridable in the cache's OPTIONS.
DEFAULT_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` (its response-callback tables included) on
    every operation; a ``Redis`` only wraps its connection pool, so one per pool serves all."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[Any, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(  # type: ignore[attr-defined]
                connection_pool=pool
            )
        return client


class FailOpenRedisCache(RedisCache):
    keeps_prefetched = True  # ``get`` answers from ``prefetched``'s read

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_after_seconds = float(options.pop("retry_after_seconds", 1.0))
        options = {**DEFAULT_OPTIONS, "retry": Retry(NoBackoff(), 0), **options}
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0

    def _call(self, operation: str, fallback: Any, method, *args, **kwargs) -> Any:
        if time.monotonic() < self._down_until:
            CACHE_ERRORS.labels(operation=operation).inc()
            return fallback
        try:
            return method(*args, **kwargs)
        except RedisError as exc:
            self._down_until = time.monotonic() + self.retry_after_seconds
            CACHE_ERRORS.labels(operation=operation).inc()
            logger.warning(
                "cache unavailable, failing open",
                extra={"operation": operation, "error": repr(exc)},
            )
            return fallback

    def ping(self) -> None:
        """Reach Redis now (raises RedisError when it is down): for /readyz, never fails open."""
        self._cache.get_client(write=True).ping()  # type: ignore[attr-defined]
        self._down_until = 0.0

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        memo = _PREFETCHED.get()
        if memo is not None and version is None and key in memo:
            value = memo[key]
            return default if value is None else value
        return self._call("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        _forget(key)
        return self._call("set", None, super().set, key, value, timeout, version)

    def incr_window_reading(
        self, key, timeout: int, read: Sequence[str], version=None
    ) -> tuple[int, dict[str, Any] | None]:
        """A window counter in ONE round trip: created at 0 for ``timeout`` seconds unless it
        exists, then incremented (SET NX EX + INCR in one script, atomic on the server), reading
        ``read`` (MGET) in the same script: the counter and the values found. Redis down: a
        fresh counter and None (not read)."""
        return self._call("incr", (1, None), self._incr_window, key, timeout, read, version)

    def _incr_window(self, key, timeout: int, read: Sequence[str], version):
        # ``make_key``, not ``make_and_validate_key``: the validation only warns about keys
        # memcached would refuse (a Python loop over every character of every key, on every
        # request); Redis takes any key, and these are the throttle's and the list's own.
        key = self.make_key(key, version=version)
        key_map = {self.make_key(k, version=version): k for k in read}
        client = self._cache.get_client(key, write=True)  # type: ignore[attr-defined]
        try:
            count, values = _window_script(client, key, timeout, list(key_map))
        except ConnectionError:
            # A pooled connection Redis dropped (a restart): once more on a fresh one, so the
            # first request after Redis returns is counted too.
            count, values = _window_script(client, key, timeout, list(key_map))
        if not key_map:
            return count, None
        loads = self._cache._serializer.loads  # type: ignore[attr-defined]
        found = {
            key_map[k]: loads(v) for k, v in zip(key_map, values, strict=True) if v is not None
        }
        return count, found

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        _forget(key)
        return self._call("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # A counter whose store is down counts from nothing: throttles let the request through.
        return self._call("incr", delta, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", [], super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._call("clear", False, super().clear)


# The window counter in one command: created at 0 for ARGV[1] seconds unless it exists, then
# incremented, and KEYS[2:] read, all atomic on the server (a script runs alone).
_WINDOW_SCRIPT = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local count = redis.call('INCR', KEYS[1])
if #KEYS > 1 then
  return {count, redis.call('MGET', unpack(KEYS, 2))}
end
return {count, {}}
"""


def _window_script(client, key: str, timeout: int, read: list[str]) -> tuple[int, list]:
    """One EVALSHA (the script is loaded on the first call and again after a Redis restart):
    the counter and the values of ``read`` (None where missing)."""
    script = _SCRIPTS.get(id(client))
    if script is None:
        script = _SCRIPTS[id(client)] = client.register_script(_WINDOW_SCRIPT)
    count, values = script(keys=[key, *read], args=[int(timeout)], client=client)
    return int(count), values


_SCRIPTS: dict[int, Any] = {}


def _forget(key: str) -> None:
    memo = _PREFETCHED.get()
    if memo is not None:
        memo.pop(key, None)


def window_counter_incr(cache, key: str, timeout: int, read_ahead: Any = None) -> int:
    """Increment the counter ``key``, creating it at 0 for ``timeout`` seconds first: one round
    trip on Redis (``incr_window_reading``), ``add`` + ``incr`` under the lock of other
    backends.

    ``read_ahead``: an object (the request) carrying ``cache_read_ahead``, the cache keys the
    code after the throttle reads with ``prefetched(..., read_by=read_ahead)``; on the fail-open
    Redis cache they are read in the counter's round trip and kept on that object for it."""
    if getattr(cache, "keeps_prefetched", False):  # the fail-open Redis cache
        keys = getattr(read_ahead, READ_AHEAD_KEYS, None) or ()
        count, found = cache.incr_window_reading(key, timeout, keys)
        if keys and found is not None:
            setattr(read_ahead, READ_AHEAD_FOUND, (keys, found))
        return count
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: start it again
        cache.add(key, 0, timeout)
        return cache.incr(key)


@contextmanager
def prefetched(cache, keys: Iterable[str], read_by: Any = None) -> Iterator[None]:
    """Read ``keys`` in one round trip (``get_many``); inside the block ``cache.get`` of one of
    them answers from that read (a ``set`` or ``delete`` of it goes to the cache again). Only
    the fail-open Redis cache keeps the read; other backends are cheap to ask again.

    ``read_by``: the request whose throttle counter already read these keys in its round trip
    (``window_counter_incr``): that read is used (once) instead of a second one."""
    if not getattr(cache, "keeps_prefetched", False):  # ``cache`` may be Django's proxy
        yield
        return
    keys = list(keys)
    ahead = getattr(read_by, READ_AHEAD_FOUND, None)
    if ahead is not None and ahead[0] == keys:
        setattr(read_by, READ_AHEAD_FOUND, None)
        found = ahead[1]
    else:
        found = cache.get_many(keys)
    token = _PREFETCHED.set({key: found.get(key) for key in keys})
    try:
        yield
    finally:
        _PREFETCHED.reset(token)
