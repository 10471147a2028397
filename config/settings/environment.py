"""Reading settings from the environment: typed values and the database URL."""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    raw = env(name, default) or ""
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {raw!r}")


def database_config(url: str) -> dict:
    config: dict = dj_database_url.parse(  # type: ignore[assignment]
        url, conn_max_age=int(env("CONN_MAX_AGE", "0") or 0)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA foreign_keys=ON;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {})
        config["CONN_HEALTH_CHECKS"] = True
        prepared_statements(config)
    return config


def prepared_statements(config: dict) -> dict:
    """PostgreSQL parses and plans a statement once per connection, not on every request.

    Parameters are bound by the server (``server_side_binding``) and psycopg prepares a
    statement once one connection has sent its text ``DB_PREPARE_THRESHOLD`` times (5,
    psycopg's default); later runs skip the parse and plan. The ORM and the compiled reads
    (``core.compiled``) send the same text with new parameters, so the hot statements are
    prepared within a few requests. ``DB_PREPARE_THRESHOLD=off`` binds on the client and
    prepares nothing: for a pooler that cannot keep prepared statements (PgBouncer in
    transaction mode before 1.21, or without ``max_prepared_statements``)."""
    raw = (env("DB_PREPARE_THRESHOLD", "5") or "5").strip().lower()
    if raw in {"off", "none", "no", "false"}:
        config["OPTIONS"].pop("server_side_binding", None)
        config["OPTIONS"].pop("prepare_threshold", None)
        return config
    try:
        threshold = int(raw)
    except ValueError:
        threshold = -1
    if threshold < 0:
        raise ImproperlyConfigured(
            f"DB_PREPARE_THRESHOLD must be a whole number (0 or more) or 'off', got {raw!r}"
        )
    config["OPTIONS"]["server_side_binding"] = True
    config["OPTIONS"]["prepare_threshold"] = threshold
    return config


def database_pool(config: dict) -> dict:
    """Serve a PostgreSQL ``config`` from a bounded psycopg connection pool (one per process).

    Under ASGI every request's synchronous part runs in a thread of its own, so without a pool
    a burst of N requests opens N connections at once (past ``max_connections``); with it the
    burst queues for at most ``DB_POOL_MAX_SIZE`` connections, each given back when its request
    ends. A request still waiting after ``DB_POOL_TIMEOUT`` seconds fails. ``DB_POOL=0`` turns
    it off. The pool replaces persistent connections (``CONN_MAX_AGE`` must be 0) and the
    per-request health check: a connection broken while in use is discarded when it is given
    back; ``DB_POOL_CHECK=1`` checks each one as it is taken instead (docs/decisions.md).
    SQLite is returned unchanged."""
    if config["ENGINE"] != "django.db.backends.postgresql" or not env_bool("DB_POOL", True):
        return config
    min_size = int(env("DB_POOL_MIN_SIZE", "2") or 2)
    max_size = int(env("DB_POOL_MAX_SIZE", "10") or 10)
    if not 0 <= min_size <= max_size or max_size < 1:
        raise ImproperlyConfigured("DB_POOL_MIN_SIZE must be 0..DB_POOL_MAX_SIZE, and that 1+")
    config["OPTIONS"]["pool"] = {
        "min_size": min_size,
        "max_size": max_size,
        "timeout": float(env("DB_POOL_TIMEOUT", "10") or 10),
    }
    config["CONN_MAX_AGE"] = 0
    # With the pool Django turns this into psycopg_pool's check as a connection is taken.
    config["CONN_HEALTH_CHECKS"] = env_bool("DB_POOL_CHECK", False)
    return config
