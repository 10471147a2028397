"""The bench harness's own bookkeeping, untimed: write runs never repeat a purchase, the hot
scenario queues its concurrent buyers on one listing, and the report puts ``api / limit`` with
its spread and target first."""

import os

import pytest

from bench.harness import common, databases, load
from bench.harness.report import growth, markdown
from bench.tasks import pair_capacity, write_request

FX = {
    "buyers": [{"id": 100 + b, "owner": b % 2} for b in range(4)],
    "tokens": {"0": "t0", "1": "t1"},
    "listings": list(range(1, 41)),
    "rate_prompts": [97, 98],
    "chains": [{"id": 99, "owner": 0}],
}


def _pairs(scenario: str, js) -> list[tuple[str, int]]:
    return [(path, body["buyer"]) for path, body, _ in (write_request(FX, scenario, j) for j in js)]


def test_every_run_buys_pairs_no_other_run_buys():
    runs = 6
    every: list = []
    for scenario in ("buy", "buy_hot"):
        capacity = pair_capacity(FX, scenario)
        starts = load.slices(FX, scenario, runs)
        width = capacity // runs
        assert starts == [i * width for i in range(runs)]
        every += _pairs(scenario, range(starts[0], starts[-1] + width))
    assert len(every) == 2 * (pair_capacity(FX, "buy") // runs) * runs
    assert len(set(every)) == len(every)


def test_buy_spreads_concurrent_requests_and_buy_hot_queues_them_on_one_listing():
    concurrent = _pairs("buy", range(4))
    assert len({path for path, _ in concurrent}) == 4
    assert len({buyer for _, buyer in concurrent}) == 4
    hot = _pairs("buy_hot", range(4))
    assert len({path for path, _ in hot}) == 1
    assert len({buyer for _, buyer in hot}) == 4
    cold = {p for p, _ in _pairs("buy", range(80))}
    assert cold.isdisjoint({p for p, _ in _pairs("buy_hot", range(80))})


def _run(rps: float, p95: float = 10.0, failures: int = 0) -> dict:
    return {"rps": rps, "p95_ms": p95, "p50_ms": 5.0, "failures": failures, "requests": 100}


def test_the_report_leads_with_api_over_limit_its_spread_and_target():
    ratios = [0.3, 0.4, 0.5]
    report = {
        "started": "2026-11-21 10:00 UTC",
        "machine": {"cpus": 2, "memory_mib": 4096, "load_average_at_start": [0.1, 0.1, 0.1]},
        "postgresql": {
            "small": {
                "workers": 5,
                "clients": 8,
                "seconds_per_run": 5,
                "pairs": 3,
                "seed_seconds": 12.5,
                "checkpoint_after_seed": True,
                "warm_up_seconds": 5,
                "ledger_invariants": {"ok": True},
                "scenarios": {
                    "buy": {
                        "label": common.LABELS["buy"],
                        "queries": 16,
                        "api": [_run(30), _run(40), _run(50)],
                        "limit": [_run(100), _run(100), _run(100)],
                        "ratio": load.spread(ratios),
                        "target": common.TARGETS["buy"],
                        "met": False,
                    }
                },
            }
        },
        "sqlite": {
            "small": {
                "settings": common.SQLITE_SETTINGS,
                "workers": 5,
                "clients": 8,
                "seconds_per_run": 5,
                "ledger_invariants": {"ok": True},
                "scenarios": {
                    "buy": {"label": common.LABELS["buy"], "queries": 16, "api": [_run(20)]}
                },
            }
        },
    }
    text = markdown(report)
    assert (
        "| buy, distinct buyers and listings | 30-50 | 100 | **0.40** (0.30-0.50) | "
        "≥ 0.35 **missed** | 10 | 10 | 16 | 0 / 0 |"
    ) in text
    assert (
        "3 alternated pair(s) per scenario; seeded in 12.5 s; a CHECKPOINT after the seed; "
        "before each scenario an uncounted 5 s warm-up run per side." in text
    )
    report["postgresql"]["small"]["checkpoint_after_seed"] = False
    assert "; the CHECKPOINT after the seed refused (see the log);" in markdown(report)
    assert "**small, SQLite** (`make run`'s settings `config.settings.local`" in text


def test_seeding_goes_through_one_command():
    assert databases.seed_command("py", "small", ["--x"]) == [
        "py",
        "-m",
        "bench.seed_scale",
        "--size",
        "small",
        "--x",
    ]


def _size(p95s: list[float], ratio_min: float, met: bool) -> dict:
    return {
        "scenarios": {
            "buy": {
                "label": common.LABELS["buy"],
                "api": [{**_run(30), "p95_ms": p} for p in p95s],
                "ratio": load.spread([ratio_min, ratio_min + 0.1]),
                "met": met,
            }
        }
    }


def test_growth_compares_each_size_with_the_first_p95_and_the_lowest_ratio():
    rows = growth(
        {
            "small": _size([10, 20, 30], 0.4, True),
            "medium": _size([25, 30, 35], 0.36, True),
            "large": _size([40, 31, 90], 0.2, False),
        }
    )
    assert (
        "| buy, distinct buyers and listings | medium | 30 | 1.50 (within) | 0.36 (met) |" in rows
    )
    assert (
        "| buy, distinct buyers and listings | large | 40 | 2.00 (**over**) | 0.20 (**missed**) |"
        in rows
    )
    assert growth({"small": _size([10], 0.4, True)}) == []


@pytest.mark.postgres
def test_checkpoint_is_taken_on_postgresql():
    import psycopg

    url = os.environ["DATABASE_URL"]
    # The control file's latest checkpoint: written before CHECKPOINT returns (any version).
    latest = "SELECT checkpoint_lsn FROM pg_control_checkpoint()"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE dirty (n int)")
        conn.execute("INSERT INTO dirty VALUES (1)")  # WAL past the last checkpoint
        before = conn.execute(latest).fetchone()[0]
        assert databases.checkpoint(url) is True
        after = conn.execute(latest).fetchone()[0]
    assert after != before


def test_checkpoint_refused_is_logged_and_the_run_goes_on(monkeypatch, capsys):
    import psycopg

    class Refusing:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql):
            assert sql == "CHECKPOINT"
            raise psycopg.errors.InsufficientPrivilege("must be superuser")

    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: Refusing())
    assert databases.checkpoint("postgres://nobody@127.0.0.1/x") is False
    assert "no CHECKPOINT" in capsys.readouterr().out

    def unreachable(*a, **k):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(psycopg, "connect", unreachable)
    assert databases.checkpoint("postgres://nobody@127.0.0.1/x") is False
    assert "OperationalError: connection refused" in capsys.readouterr().out


def test_warm_up_runs_each_side_briefly_on_its_own_slice_and_counts_nothing(monkeypatch):
    import argparse

    from bench.harness import sides

    calls = []

    def fake_locust(scenario, port, env, args, name, offset):
        calls.append((scenario, port, args.seconds, name, offset))
        return _run(50.0)

    monkeypatch.setattr(sides, "locust", fake_locust)
    args = argparse.Namespace(seconds=8, users=8, pairs=3)
    starts = load.slices(FX, "buy", 2 * args.pairs + 2)
    done = sides.warm_up("buy", (1111, 2222), {}, args, "small", starts[-2:])
    assert calls == [
        ("buy", 1111, 5, "pg-small-buy-api-warm", starts[-2]),
        ("buy", 2222, 5, "pg-small-buy-limit-warm", starts[-1]),
    ]
    assert [w["side"] for w in done] == ["api", "limit"]
    assert args.seconds == 8  # the measured runs keep their length
    # The warm-ups' write pairs are none of the measured runs' (slices 0 .. 2 * pairs - 1).
    width = starts[1]
    assert starts[-2] >= 2 * args.pairs * width


def test_a_new_seed_is_checkpointed_and_each_scenario_warms_both_sides_first(monkeypatch):
    import argparse

    from bench.harness import sides

    events: list[str] = []
    rps = iter([1.0, 2.0, 30.0, 100.0, 100.0, 40.0, 50.0, 100.0] * 2)

    offsets: dict[str, int] = {}

    def fake_locust(scenario, port, env, args, name, offset):
        events.append(name)
        offsets[name] = offset
        return {**_run(next(rps)), "generator_cpu_s": 1.0}

    fresh = [True]
    monkeypatch.setattr(sides, "postgres_database", lambda size, reuse: ("postgres://x", fresh[0]))
    monkeypatch.setattr(sides, "prepared", lambda *a: ({}, {**FX, "hot_prompt_ratings": 1}, {}))
    ports = iter([1111, 2222])
    monkeypatch.setattr(sides, "serve", lambda app, env, workers: (app, next(ports)))
    monkeypatch.setattr(sides, "stop", lambda proc: None)
    monkeypatch.setattr(sides, "warm", lambda *a: None)
    monkeypatch.setattr(sides, "checkpoint", lambda url: events.append("checkpoint") or True)
    monkeypatch.setattr(sides, "invariants", lambda env, name: {"ok": True})
    monkeypatch.setattr(sides, "locust", fake_locust)
    args = argparse.Namespace(
        pairs=3, seconds=8, users=8, workers=1, only=["buy", "rate"], reuse=False
    )
    result = sides.bench_postgres("small", args)
    assert events == [
        "checkpoint",
        "pg-small-buy-api-warm",
        "pg-small-buy-limit-warm",
        "pg-small-buy-api-0",
        "pg-small-buy-limit-0",
        "pg-small-buy-limit-1",
        "pg-small-buy-api-1",
        "pg-small-buy-api-2",
        "pg-small-buy-limit-2",
        "pg-small-rate-api-warm",  # no checkpoint before a scenario: only after the seed
        "pg-small-rate-limit-warm",
        "pg-small-rate-api-0",
        "pg-small-rate-limit-0",
        "pg-small-rate-limit-1",
        "pg-small-rate-api-1",
        "pg-small-rate-api-2",
        "pg-small-rate-limit-2",
    ]
    buy = result["scenarios"]["buy"]
    # The warm-ups (1 and 2 req/s) count in no ratio.
    assert buy["ratios"] == [0.3, 0.4, 0.5]
    assert [w["rps"] for w in buy["warmups"]] == [1.0, 2.0]
    assert result["checkpoint_after_seed"] is True
    assert result["warm_up_seconds"] == 5
    # Every run of a scenario, warm-ups included, starts its own slice of write pairs.
    for scenario in ("buy", "rate"):
        starts = sorted(v for k, v in offsets.items() if f"-{scenario}-" in k)
        assert starts == load.slices(FX, scenario, 2 * args.pairs + 2)
        warm = {offsets[f"pg-small-{scenario}-{side}-warm"] for side in ("api", "limit")}
        assert warm == set(starts[-2:])

    # A reused database was checkpointed when it was seeded: no checkpoint now.
    events.clear()
    fresh[0] = False
    ports = iter([1111, 2222])
    rps = iter([1.0, 2.0, 30.0, 100.0, 100.0, 40.0, 50.0, 100.0] * 2)
    result = sides.bench_postgres("small", args)
    assert "checkpoint" not in events
    assert result["checkpoint_after_seed"] is None
