"""The bench's databases: a fresh ``mythos_bench_<size>`` on the PostgreSQL server of
``DATABASE_URL`` or a SQLite file under bench/out/, migrated and seeded (``seed_command``, the
one place that names the seeder), the run's cache (the local Redis with a key prefix of its
own), the fixtures and per-scenario query counts of ``bench.tasks``, and the ledger invariants
read after the load."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

from bench.harness.common import OUT, ROOT, log, run


def seed_command(py: str, size: str, extra: list[str]) -> list[str]:
    """The one place that knows how the bench data is seeded."""
    return [py, "-m", "bench.seed_scale", "--size", size, *extra]


def postgres_database(size: str, reuse: bool) -> tuple[str, bool]:
    """(DATABASE_URL of the bench database, whether it is new)."""
    import psycopg

    parsed = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    name = f"mythos_bench_{size}"
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not reuse:
            conn.execute(f'CREATE DATABASE "{name}"')
    return parsed._replace(path=f"/{name}").geturl(), not (exists and reuse)


def checkpoint(db_url: str) -> bool:
    """Write every dirty page out now (PostgreSQL's ``CHECKPOINT``). After a seed,
    PostgreSQL otherwise checkpoints for minutes (``max_wal_size`` reached) while the first
    pairs run. Only then: a checkpoint makes the next change to each page write the whole
    page to the WAL, so one before every scenario slowed its first runs instead. False
    (logged) when the role may not: the run goes on."""
    import psycopg

    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    # No pg_checkpoint (or superuser), a standby, a managed service's refusal, a lost connection.
    except psycopg.Error as exc:
        log(f"no CHECKPOINT after the seed: {type(exc).__name__}: {exc}")
        return False
    return True


def sqlite_database(size: str, reuse: bool) -> tuple[str, bool]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench-{size}.sqlite3"
    existed = path.exists()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", not (existed and reuse)


def bench_redis() -> str | None:
    """REDIS_URL for the run: the caller's, or the local Redis (database 15); None when there
    is no Redis. Nothing is flushed: the run's keys carry a prefix of their own
    (``BENCH_CACHE_PREFIX``), so counts cached by an earlier run never leak in."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        log("no Redis: each gunicorn worker keeps its own local-memory cache")
        return None
    log(f"cache: {url}")
    return url


def prepared(size: str, db_url: str, fresh: bool, args) -> tuple[dict, dict, dict]:
    """Migrate, seed (when new), prepare the bench fixtures and count queries per scenario."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": db_url,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": os.urandom(48).hex(),  # one key shared by gunicorn and the steps
    }
    redis_url = bench_redis()
    if redis_url:
        env["REDIS_URL"] = redis_url  # one cache for all workers, as in production
        env["BENCH_CACHE_PREFIX"] = f"bench-{os.urandom(6).hex()}"
    py = sys.executable
    run([py, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    if fresh:
        if db_url.startswith("sqlite") and size == "large":
            raise SystemExit("the large size needs PostgreSQL: set DATABASE_URL")
        t0 = time.monotonic()
        run(seed_command(py, size, args.seed_args), env)
        env["BENCH_SEEDED_SECONDS"] = str(round(time.monotonic() - t0, 1))
    vendor = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    fixtures = OUT / f"fixtures-{vendor}-{size}.json"
    run([py, "-m", "bench.tasks", "prepare", str(fixtures)], env)
    counts_path = OUT / f"queries-{vendor}-{size}.json"
    run([py, "-m", "bench.tasks", "queries", str(fixtures), str(counts_path)], env)
    env["BENCH_FIXTURES"] = str(fixtures)
    return env, json.loads(fixtures.read_text()), json.loads(counts_path.read_text())


def invariants(env: dict, name: str) -> dict:
    path = OUT / f"invariants-{name}.json"
    run([sys.executable, "-m", "bench.tasks", "invariants", str(path)], env)
    return json.loads(path.read_text())
