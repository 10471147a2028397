"""Settings read from the environment: production refuses to start without a real SECRET_KEY,
and CORS answers only the configured origins."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_requires_secret_key():
    result = _check({"SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_secret_key():
    result = _check({"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "api.example.com"})
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_cors_allows_configured_origin_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    ok = client.options(
        "/api/v1/prompts/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert ok.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    assert "authorization" in ok.headers.get("Access-Control-Allow-Headers", "").lower()
    denied = client.get("/api/v1/prompts/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_sqlite_default_is_wal_immediate_with_busy_timeout():
    from config.settings.base import database_config

    config = database_config("sqlite:////tmp/x.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 5


def test_postgresql_is_served_from_a_bounded_pool_without_persistent_connections(monkeypatch):
    from config.settings.environment import database_config, database_pool

    monkeypatch.setenv("CONN_MAX_AGE", "60")
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "7")
    config = database_pool(database_config("postgres://u@db.example.com:5432/mythos"))
    assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 7, "timeout": 10.0}
    assert config["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert config["CONN_HEALTH_CHECKS"] is False  # the pool discards broken connections
    monkeypatch.setenv("DB_POOL_CHECK", "1")
    config = database_pool(database_config("postgres://u@db.example.com:5432/mythos"))
    assert config["CONN_HEALTH_CHECKS"] is True
    monkeypatch.setenv("DB_POOL", "0")
    config = database_pool(database_config("postgres://u@db.example.com:5432/mythos"))
    assert "pool" not in config["OPTIONS"]
    assert config["CONN_MAX_AGE"] == 60
    assert "pool" not in database_pool(database_config("sqlite:////tmp/x.sqlite3"))["OPTIONS"]


def test_production_settings_use_the_pool_on_postgresql():
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; "
         "print(s.DATABASES['default']['OPTIONS']['pool']['max_size'])"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
             "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "api.example.com",
             "DATABASE_URL": "postgres://u@db.example.com:5432/mythos", "DB_POOL_MAX_SIZE": "5"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == "5", result.stderr
