"""Throttles hold under concurrency: 16 clients at once against a small limit get exactly the
limit through, on the local-memory cache (SQLite default) and on a real Redis."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
LIMIT = 5


def in_parallel(call, n: int = THREADS) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # surfaced by the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def anonymous_read():
    return APIClient().get("/api/v1/prompts/")


def wrong_password_login():
    return APIClient().post(
        "/api/v1/auth/login/", {"username": "victim", "password": "not-the-password"}
    )


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request):
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param


def test_sixteen_parallel_anonymous_reads_pass_exactly_the_limit(cache_backend, throttle_rates):
    throttle_rates(anon=f"{LIMIT}/min")
    responses = in_parallel(anonymous_read)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: LIMIT, 429: THREADS - LIMIT}
    throttled = [r for r in responses if r.status_code == 429]
    for r in throttled:
        assert 1 <= int(r["Retry-After"]) <= 60
        assert r.json()["errors"][0]["code"] == "throttled"


def test_sixteen_parallel_wrong_password_logins_pass_exactly_the_auth_limit(
    cache_backend, throttle_rates
):
    UserFactory(username="victim")
    throttle_rates(auth=f"{LIMIT}/min")
    responses = in_parallel(wrong_password_login)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {400: LIMIT, 429: THREADS - LIMIT}
    assert all("Retry-After" in r for r in responses if r.status_code == 429)


def test_user_rate_counts_per_user(throttle_rates):
    throttle_rates(user="2/min")
    alice, bob = APIClient(), APIClient()
    alice.force_authenticate(UserFactory())
    bob.force_authenticate(UserFactory())
    assert [alice.get("/api/v1/auth/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert bob.get("/api/v1/auth/me/").status_code == 200
