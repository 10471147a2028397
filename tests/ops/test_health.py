"""/livez, /readyz and its alias /healthz: what a load balancer and an orchestrator see."""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings
from rest_framework.test import APIClient

from api import health

pytestmark = pytest.mark.django_db

READY = {"status": "ok", "database": "ok", "migrations": "ok", "cache": "ok"}


@pytest.fixture(autouse=True)
def _recheck_migrations(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


@pytest.fixture
def database_down(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)


def test_livez_answers_without_touching_anything(django_assert_num_queries):
    with django_assert_num_queries(0):
        r = APIClient().get("/livez")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert r["X-Request-ID"]


def test_livez_answers_while_the_database_is_down(database_down):
    assert APIClient().get("/livez").status_code == 200


@pytest.mark.parametrize("url", ["/readyz", "/healthz"])
def test_ready_names_each_dependency(url):
    r = APIClient().get(url)
    assert (r.status_code, r.json()) == (200, READY)


@pytest.mark.parametrize("url", ["/readyz", "/healthz"])
def test_database_down_is_503(url, database_down):
    r = APIClient().get(url)
    assert r.status_code == 503
    body = r.json()
    assert {k: body[k] for k in ("status", "database", "migrations")} == {
        "status": "unavailable",
        "database": "down",
        "migrations": "unknown",
    }
    assert body["request_id"] == r["X-Request-ID"]


def test_pending_migrations_are_503_until_applied(monkeypatch):
    monkeypatch.setattr(health, "pending_migrations", lambda: 2)
    r = APIClient().get("/readyz")
    assert r.status_code == 503
    assert r.json()["migrations"] == "pending"
    assert r.json()["database"] == "ok"
    monkeypatch.setattr(health, "pending_migrations", lambda: 0)
    assert APIClient().get("/readyz").json() == READY


def test_pending_migrations_are_read_from_the_real_graph():
    assert health.pending_migrations() == 0


def test_cache_down_is_degraded_not_unready():
    down = {
        "default": {
            "BACKEND": "api.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # discard port: nothing answers
        }
    }
    with override_settings(CACHES=down):
        r = APIClient().get("/readyz")
        assert r.status_code == 200
        assert r.json() == {**READY, "status": "degraded", "cache": "down"}
        # The API itself keeps answering.
        assert APIClient().get("/api/v1/prompts/").status_code == 200


def test_health_is_not_in_the_api_schema():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert not [
        p for p in schema["paths"] if p.rstrip("/").endswith(("livez", "readyz", "healthz"))
    ]
