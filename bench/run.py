"""``make bench``: seed a bench database, serve the API and the limit (bench/limit/: plain
WSGI, psycopg 3, orjson) with the same gunicorn command, and for each scenario alternate API
and limit runs in one session (``--pairs``, at least three for figures worth quoting); report
``api / limit`` per scenario with its spread over the pairs, the queries per request, and the
ledger invariants after the load. Then the same scenarios on SQLite with ``make run``'s settings
(API only), reported beside. Writes bench/results.json, bench/results.md and the figures
section of docs/performance.md. The parts are the package ``bench.harness``.

PostgreSQL when DATABASE_URL is set (a separate ``mythos_bench_<size>`` database on that
server, dropped and re-created unless ``--reuse``); SQLite files under bench/out/ otherwise.

    python -m bench.run [--sizes small medium] [--seconds 20] [--pairs 3] [--users 8]
                        [--workers N] [--reuse] [--only buy rate] [--no-sqlite] [--no-doc]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness.common import BIN, OUT, ROOT, SCENARIOS, log
from bench.harness.report import machine, markdown, update_doc
from bench.harness.sides import bench_postgres, bench_sqlite


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes", nargs="+", default=os.environ.get("BENCH_SIZES", "small").split()
    )
    parser.add_argument(
        "--seconds", "--time", type=int, default=int(os.environ.get("BENCH_SECONDS", "20"))
    )
    parser.add_argument("--pairs", type=int, default=int(os.environ.get("BENCH_PAIRS", "3")))
    parser.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", "8")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "0")))
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded bench DB")
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, help="only these scenarios")
    parser.add_argument("--seed-args", nargs="*", default=[], help="extra seeding flags")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite runs")
    parser.add_argument("--sqlite-sizes", nargs="+", default=["small"])
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument(
        "--results-dir", type=Path, default=ROOT / "bench", help="where results.json/md go"
    )
    args = parser.parse_args()
    if args.seconds > 300 or args.users > 64 or not 1 <= args.pairs <= 10:
        raise SystemExit("bounded runs only: --seconds <= 300, --users <= 64, --pairs 1..10")
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "postgresql": {},
        "sqlite": {},
    }
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        for size in args.sizes:
            log(f"=== PostgreSQL, size {size} ===")
            report["postgresql"][size] = bench_postgres(size, args)
    else:
        log("DATABASE_URL is not PostgreSQL: no limit comparison, SQLite only")
    if not args.no_sqlite:
        for size in args.sqlite_sizes:
            log(f"=== SQLite, size {size} ===")
            report["sqlite"][size] = bench_sqlite(size, args)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (args.results_dir / "results.md").write_text("# Bench results\n\n" + table + "\n")
    if not args.no_doc:
        update_doc(table)
    print(table)
    bad = [
        f"{db} {size}"
        for db in ("postgresql", "sqlite")
        for size, r in report[db].items()
        if not r["ledger_invariants"]["ok"]
    ]
    if bad:
        raise SystemExit(f"ledger invariants broken after the run: {bad}")


if __name__ == "__main__":
    if shutil.which("locust", path=str(BIN)) is None:
        raise SystemExit("locust is not installed: run make install")
    main()
