"""A hot read costs as few Redis round trips as its rules allow: the anonymous throttle's
counter is one command (SET NX EX + INCR in a Lua script), and the market list's two cached
counts (its own and the assistants') are read by that same script. Against a private
redis-server."""

import pytest
import redis.client
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from api.cache import prefetched
from core.selectors import ASSISTANTS_COUNT_CACHE_KEY
from tests.economy.factories import ListingFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/market/prompts/"


@pytest.fixture
def round_trips(monkeypatch):
    """Every command and pipeline sent to Redis, as (command, ...) tuples."""
    sent: list[tuple] = []
    execute_command = redis.client.Redis.execute_command
    execute_pipeline = redis.client.Pipeline.execute

    def command(self, *args, **kwargs):
        sent.append(args[:1])
        return execute_command(self, *args, **kwargs)

    def pipeline(self, *args, **kwargs):
        sent.append(tuple(c[0][0] for c in self.command_stack))
        return execute_pipeline(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Redis, "execute_command", command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline)
    return sent


@override_settings(API_COUNT_CACHE_MIN_ROWS=0)  # every count goes through the cache
def test_market_list_costs_one_round_trip(redis_cache, throttle_rates, round_trips):
    throttle_rates(anon="1000/min")
    for _ in range(3):
        ListingFactory()
    anon = APIClient()
    assert anon.get(URL).json()["count"] == 3  # counts computed and cached
    round_trips.clear()
    body = anon.get(URL).json()
    assert round_trips == [("EVALSHA",)], round_trips
    assert body["count"] == 3


@override_settings(API_COUNT_CACHE_MIN_ROWS=0)
def test_cached_counts_are_answered_from_the_one_read(redis_cache, throttle_rates):
    throttle_rates(anon="1000/min")
    for _ in range(3):
        ListingFactory()
    anon = APIClient()
    anon.get(URL)
    # A count cached by another worker is what the page shows (read in the one MGET).
    cache.set(ASSISTANTS_COUNT_CACHE_KEY, 10**6)
    first = anon.get(URL).json()["results"][0]
    assert first["swarm_adoption_score"] == 0.0  # 0 adopters of a million assistants


def test_prefetched_read_fails_open_and_set_inside_goes_to_redis(redis_cache):
    cache.set("k", 1)
    with prefetched(cache, ["k", "absent"]):
        assert cache.get("k") == 1
        assert cache.get("absent", "default") == "default"
        cache.set("k", 2)
        assert cache.get("k") == 2
    redis_cache.stop()
    with prefetched(cache, ["k"]):
        assert cache.get("k") is None  # Redis down: a miss, never an error
    redis_cache.start()


def test_throttle_counter_fails_open_when_redis_is_down(redis_cache, throttle_rates):
    throttle_rates(anon="1/min")
    anon = APIClient()
    assert anon.get(URL).status_code == 200
    assert anon.get(URL).status_code == 429
    redis_cache.stop()
    assert anon.get(URL).status_code == 200
    redis_cache.start()


@override_settings(API_COUNT_CACHE_MIN_ROWS=0)
def test_market_list_for_a_user_costs_one_round_trip(
    redis_cache, throttle_rates, round_trips, user
):
    throttle_rates(user="1000/min")
    for _ in range(3):
        ListingFactory()
    client = APIClient()
    client.force_authenticate(user=user)
    client.get(URL)
    round_trips.clear()
    assert client.get(URL).json()["count"] == 3
    assert round_trips == [("EVALSHA",)], round_trips


def test_a_read_ahead_of_other_keys_is_not_used(redis_cache):
    cache.set("k", 1)

    class Holder:
        _cache_read_ahead_found = (["other"], {"k": 2})

    holder = Holder()
    with prefetched(cache, ["k"], read_by=holder):
        assert cache.get("k") == 1  # read again: the read ahead was for other keys


def test_window_counter_survives_a_flushed_script_cache(redis_cache, throttle_rates, round_trips):
    """Redis forgets its scripts on a restart: the counter loads it again and still counts,
    with the window's expiry set."""
    throttle_rates(anon="2/min")
    anon = APIClient()
    assert anon.get(URL).status_code == 200
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    client.script_flush()
    round_trips.clear()
    assert anon.get(URL).status_code == 200
    assert round_trips == [("EVALSHA",), ("SCRIPT LOAD",), ("EVALSHA",)]  # NOSCRIPT, loaded
    assert anon.get(URL).status_code == 429  # the third request of the window
    keys = [k for k in client.keys("*") if b"throttle" in k]
    assert keys
    assert all(0 < client.ttl(k) <= 65 for k in keys)
