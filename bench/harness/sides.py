"""The two kinds of bench run for a size: on PostgreSQL the API and the limit served by the
same gunicorn command, warmed, then for each scenario alternated pairs of locust runs and the
``api / limit`` ratio against its target; on SQLite the API alone with ``make run``'s settings.
Each ends with the ledger invariants after the load."""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench.harness.common import LABELS, NO_THROTTLE, SCENARIOS, SQLITE_SETTINGS, TARGETS, log
from bench.harness.databases import (
    checkpoint,
    invariants,
    postgres_database,
    prepared,
    sqlite_database,
)
from bench.harness.load import locust, slices, spread
from bench.harness.serving import serve, stop, warm

# Seconds of each side's uncounted run before a scenario's pairs (``warm_up``).
WARM_UP_SECONDS = 5


def bench_postgres(size: str, args) -> dict:
    db_url, fresh = postgres_database(size, args.reuse)
    env, fx, counts = prepared(size, db_url, fresh, args)
    # A new seed leaves PostgreSQL minutes of checkpointing (``max_wal_size`` reached): done
    # now, before anything is measured.
    checkpointed = checkpoint(db_url) if fresh else None
    workers = args.workers or (os.cpu_count() or 1) * 2 + 1
    api, api_port = serve("config.wsgi:application", env, workers)
    limit, limit_port = serve("bench.limit_wsgi:application", env, workers)
    scenarios: dict[str, Any] = {}
    try:
        warm(api_port, fx, range(32, 48))
        warm(limit_port, fx, range(48, 64))
        for scenario in SCENARIOS:
            if args.only and scenario not in args.only:
                continue
            # Two more slices than measured runs: the warm-ups' own write pairs.
            starts = slices(fx, scenario, 2 * args.pairs + 2)
            warmups = warm_up(scenario, (api_port, limit_port), env, args, size, starts[-2:])
            runs: dict[str, list] = {"api": [], "limit": []}
            for pair in range(args.pairs):
                # Alternate which side goes first, so neither always runs on a warmer machine.
                order = [("api", api_port), ("limit", limit_port)]
                for k, (side, port) in enumerate(order if pair % 2 == 0 else order[::-1]):
                    name = f"pg-{size}-{scenario}-{side}-{pair}"
                    stats = locust(scenario, port, env, args, name, starts[2 * pair + k])
                    runs[side].append(stats)
                    log(
                        f"  {scenario} {side} #{pair}: {stats['rps']} req/s, "
                        f"p95 {stats['p95_ms']} ms, {stats['failures']}/{stats['requests']} "
                        f"failed, generator {stats['generator_cpu_s']} CPU s"
                    )
            ratios = [
                api_run["rps"] / limit_run["rps"] if limit_run["rps"] else 0.0
                for api_run, limit_run in zip(runs["api"], runs["limit"], strict=True)
            ]
            ratio = spread(ratios)
            scenarios[scenario] = {
                "label": LABELS[scenario],
                "queries": counts.get(scenario, {}).get("queries"),
                **runs,
                "warmups": warmups,
                "ratios": [round(r, 3) for r in ratios],
                "ratio": ratio,
                "target": TARGETS[scenario],
                "met": ratio["min"] >= TARGETS[scenario],
            }
    finally:
        stop(api)
        stop(limit)
    return {
        "database": "postgresql",
        "seed_seconds": env.get("BENCH_SEEDED_SECONDS"),
        "workers": workers,
        "clients": args.users,
        "seconds_per_run": args.seconds,
        "pairs": args.pairs,
        "checkpoint_after_seed": checkpointed,
        "warm_up_seconds": warm_up_seconds(args),
        "hot_prompt_ratings": fx["hot_prompt_ratings"],
        "scenarios": scenarios,
        "ledger_invariants": invariants(env, f"pg-{size}"),
    }


def warm_up_seconds(args) -> int:
    """A warm-up's length: ``WARM_UP_SECONDS``, or a measured run's if that is shorter."""
    return min(WARM_UP_SECONDS, args.seconds)


def warm_up(
    scenario: str, ports: tuple[int, int], env: dict, args, size: str, starts: list[int]
) -> list[dict]:
    """One short run of ``scenario`` on each side, not counted: whatever is slow only at a
    scenario's start (its rows read from disk, the first change to each page after a
    checkpoint written whole to the WAL) is paid here, not by the side that runs first in
    the first pair (the API). Without them the first pair of the buy and rate scenarios ran
    at a third to a half of the later pairs' rate. Each takes its own slice of write pairs,
    like a measured run."""
    short = argparse.Namespace(**{**vars(args), "seconds": warm_up_seconds(args)})
    done = []
    for side, port, start in zip(("api", "limit"), ports, starts, strict=True):
        stats = locust(scenario, port, env, short, f"pg-{size}-{scenario}-{side}-warm", start)
        log(f"  {scenario} {side} warm-up: {stats['rps']} req/s, not counted")
        done.append({"side": side, **stats})
    return done


def bench_sqlite(size: str, args) -> dict:
    """The same scenarios, API only, served with ``make run``'s settings on SQLite."""
    db_url, fresh = sqlite_database(size, args.reuse)
    env, fx, counts = prepared(size, db_url, fresh, args)
    workers = args.workers or (os.cpu_count() or 1) * 2 + 1
    serve_env = {**env, "DJANGO_SETTINGS_MODULE": SQLITE_SETTINGS, **NO_THROTTLE}
    serve_env.pop("REDIS_URL", None)  # `make run` has no Redis: a local-memory cache per worker
    api, port = serve("config.wsgi:application", serve_env, workers)
    scenarios: dict[str, Any] = {}
    try:
        warm(port, fx, range(32, 64))
        for scenario in SCENARIOS:
            if args.only and scenario not in args.only:
                continue
            stats = locust(scenario, port, env, args, f"sqlite-{size}-{scenario}", 0)
            log(f"  sqlite {scenario}: {stats['rps']} req/s, p95 {stats['p95_ms']} ms")
            scenarios[scenario] = {
                "label": LABELS[scenario],
                "queries": counts.get(scenario, {}).get("queries"),
                "api": [stats],
            }
    finally:
        stop(api)
    return {
        "database": "sqlite",
        "settings": SQLITE_SETTINGS,
        "seed_seconds": env.get("BENCH_SEEDED_SECONDS"),
        "workers": workers,
        "clients": args.users,
        "seconds_per_run": args.seconds,
        "scenarios": scenarios,
        "ledger_invariants": invariants(env, f"sqlite-{size}"),
    }
