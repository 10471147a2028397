"""Losing Redis never answers 500: the cache and the throttles fail open (logged, counted),
/readyz names the cache as down with 200, and when Redis returns everything resumes without a
restart. Against a private redis-server that the test stops and starts again."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from economy.models import LedgerEntry
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db


def cache_errors() -> float:
    total = 0.0
    for metric in REGISTRY.collect():
        if metric.name == "mythos_cache_errors":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world():
    seller, buyer = AssistantFactory(), AssistantFactory()
    listings = [
        ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=100) for _ in range(3)
    ]
    return {"buyer": buyer, "listings": listings}


def traffic(world, round_no: int) -> list[tuple[str, int]]:
    """Reads (list endpoints, counted through the count cache), a write and a throttled login."""
    anon = APIClient()
    owner = client_for(world["buyer"].owner)
    listing = world["listings"][round_no]
    answers = [
        ("prompts", anon.get("/api/v1/prompts/").status_code),
        ("market", anon.get("/api/v1/market/prompts/").status_code),
        ("assistants", owner.get("/api/v1/assistants/").status_code),
        ("me", owner.get("/api/v1/auth/me/").status_code),
        (
            "buy",
            owner.post(
                f"/api/v1/market/prompts/{listing.id}/buy/", {"buyer": world["buyer"].id}
            ).status_code,
        ),
        (
            "login",
            anon.post(
                "/api/v1/auth/login/", {"username": "nobody", "password": "wrong-password"}
            ).status_code,
        ),
    ]
    return answers


@override_settings(API_COUNT_CACHE_MIN_ROWS=0)  # every list count goes through the cache
def test_redis_outage_degrades_without_errors_and_recovers(
    world, redis_cache, throttle_rates, caplog
):
    throttle_rates(auth="100/min")
    before = traffic(world, 0)
    assert all(status < 500 for _, status in before), before
    assert dict(before)["buy"] == 201
    assert APIClient().get("/readyz").json()["cache"] == "ok"
    errors_before = cache_errors()

    redis_cache.stop()
    during = traffic(world, 1)
    assert [s for s in during if s[1] >= 500] == []
    assert dict(during)["buy"] == 201
    assert dict(during)["login"] == 400  # the throttle let it through to the credential check
    ready = APIClient().get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "degraded",
        "database": "ok",
        "migrations": "ok",
        "cache": "down",
    }
    assert cache_errors() > errors_before
    assert any("failing open" in r.getMessage() for r in caplog.records)

    redis_cache.start()  # the same port, empty: no restart of anything on our side
    after = traffic(world, 2)
    assert all(status < 500 for _, status in after), after
    assert APIClient().get("/readyz").json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "cache": "ok",
    }
    cache.set("back", "yes")
    assert cache.get("back") == "yes"
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 3


def test_throttle_counts_again_once_redis_is_back(redis_cache, throttle_rates):
    UserFactory(username="victim")
    throttle_rates(auth="2/min")

    def login() -> int:
        return (
            APIClient()
            .post("/api/v1/auth/login/", {"username": "victim", "password": "wrong-password"})
            .status_code
        )

    redis_cache.stop()
    assert [login() for _ in range(4)] == [400, 400, 400, 400]  # open while Redis is gone
    redis_cache.start()
    assert [login() for _ in range(3)] == [400, 400, 429]
