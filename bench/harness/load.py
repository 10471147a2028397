"""The load: one closed-loop locust run of a scenario against a port (its throughput,
percentiles, failures and the generator's own CPU time, from locust's final JSON statistics),
the disjoint slices of write pairs each run gets, and the spread of a list of ratios."""

from __future__ import annotations

import csv
import json
import resource
import statistics
import subprocess
from pathlib import Path

from bench.harness.common import BIN, OUT, ROOT
from bench.tasks import pair_capacity


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def locust(scenario: str, port: int, env: dict, args, name: str, offset: int) -> dict:
    """One closed-loop run of ``scenario`` against ``port``; write pairs start at ``offset``."""
    prefix = OUT / name
    cmd = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.users),
        "--run-time",
        f"{args.seconds}s",
        "--stop-timeout",
        "5",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**env, "BENCH_SCENARIO": scenario, "BENCH_PAIR_OFFSET": str(offset)}
    cpu = children_cpu()
    subprocess.run(
        [*cmd, "--json-file", str(prefix)],
        env=env,
        cwd=ROOT,
        check=False,
        timeout=args.seconds + 120,
    )
    cpu = children_cpu() - cpu
    stats = final_stats(json.loads(Path(f"{prefix}.json").read_text()))
    errors = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, newline="") as f:
            errors = [r["Error"][:200] for r in csv.DictReader(f)][:3]
    return {
        **stats,
        # The load generator shares the CPUs with the server: its own CPU time, for the reader.
        "generator_cpu_s": round(cpu, 1),
        "errors": errors,
    }


def final_stats(entries: list[dict]) -> dict:
    """Throughput and percentiles from locust's final JSON stats (its CSV files are written
    by a periodic writer that may stop before the run does)."""
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    start = min((e["start_time"] for e in entries), default=0.0)
    last = max((e["last_request_timestamp"] or start for e in entries), default=start)
    times: dict[float, int] = {}
    for e in entries:
        for ms, n in e["response_times"].items():
            times[float(ms)] = times.get(float(ms), 0) + n

    def percentile(q: float) -> float:
        seen, goal = 0, q * sum(times.values())
        for ms in sorted(times):
            seen += times[ms]
            if seen >= goal:
                return ms
        return 0.0

    return {
        "requests": requests,
        "failures": failures,
        "rps": round(requests / (last - start), 1) if last > start else 0.0,
        "p50_ms": percentile(0.50),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
    }


def slices(fx: dict, scenario: str, runs: int) -> list[int]:
    """Each run's first pair index: disjoint slices, so no run repeats another's purchase."""
    width = pair_capacity(fx, scenario) // max(runs, 1)
    return [i * width for i in range(runs)]


def spread(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }
