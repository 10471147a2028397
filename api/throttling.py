"""Rate limits with atomic counters, so they hold under concurrency across workers and hosts.

DRF's throttles read a request history from the cache and write it back: concurrent requests
all read the same history and all pass (600 reads from 16 threads passed a 300/min limit 582
times). Here each (scope, client, window) has one counter, created at 0 and
bumped (``api.cache.window_counter_incr``): on Redis that is SET NX EX + INCR in one Lua script, one
round trip, atomic on the server; on the local-memory cache ``add`` + ``incr`` under its lock. A request is allowed while the counter is
at most the limit, so exactly ``limit`` requests pass per window, however many arrive at once.

Fixed windows (aligned to the epoch; docs/decisions.md): a client may burst up to twice the
rate across a window boundary, in exchange for one counter and one cache round trip per request.
A view that reads cached values right after the throttle names them on the request
(``api.cache.READ_AHEAD_KEYS``): the counter's script reads them too, still one round trip.
``Retry-After`` is the time left in the window. When the cache is down the counters fail open
(api/cache.py): requests are let through, logged and counted.
"""

import math

from rest_framework import throttling

from .cache import window_counter_incr


class FixedWindowThrottle(throttling.SimpleRateThrottle):
    """Replaces SimpleRateThrottle's read-modify-write history with one atomic counter."""

    window_ends_at = 0.0
    num_requests: int | None
    duration: int | None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        duration = self.duration or 1
        window = int(self.now // duration)
        self.window_ends_at = (window + 1) * duration
        # The counter outlives its window a little so a request at the very end still finds it.
        # The keys the view reads next (``cache_read_ahead``) are read in the same round trip.
        count = window_counter_incr(self.cache, f"{key}:{window}", duration + 5, request)
        return count <= (self.num_requests or 0)

    def wait(self) -> float:
        return max(1, math.ceil(self.window_ends_at - self.now))


class AnonRateThrottle(FixedWindowThrottle, throttling.AnonRateThrottle):
    """Anonymous callers, per client address (``NUM_PROXIES`` decides which one)."""


class UserRateThrottle(FixedWindowThrottle, throttling.UserRateThrottle):
    """DRF's per-user rate, for authenticated users only: anonymous callers are counted once,
    by ``AnonRateThrottle`` (DRF's class would count them twice, a cache round trip each)."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(FixedWindowThrottle, throttling.ScopedRateThrottle):
    """Per view ``throttle_scope`` (``auth``: register, login, logout), per user or address."""

    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle learns its rate from the view; then the atomic counter decides.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
