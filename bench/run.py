"""``make bench``: seed a bench database, serve the API and the limit (bench/limit_wsgi.py: plain
WSGI, psycopg 3, orjson) with the same gunicorn command, and for each scenario alternate API
and limit runs in one session (``--pairs``, at least three for figures worth quoting); report
``api / limit`` per scenario with its spread over the pairs, the queries per request, and the
ledger invariants after the load. Then the same scenarios on SQLite with ``make run``'s settings
(API only), reported beside. Writes bench/results.json, bench/results.md and the figures
section of docs/performance.md.

PostgreSQL when DATABASE_URL is set (a separate ``mythos_bench_<size>`` database on that
server, dropped and re-created unless ``--reuse``); SQLite files under bench/out/ otherwise.

    python bench/run.py [--sizes small medium] [--seconds 20] [--pairs 3] [--users 8]
                        [--workers N] [--reuse] [--only buy rate] [--no-sqlite] [--no-doc]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
READS = ["market_list", "reputation"]
WRITES = ["buy", "buy_hot", "rate", "step"]
SCENARIOS = [*READS, *WRITES]
LABELS = {
    "market_list": "market list `?ordering=-trust&page_size=50`, anonymous",
    "reputation": "reputation of the most-rated prompt, anonymous",
    "buy": "buy, distinct buyers and listings",
    "buy_hot": "buy, one hot listing, 8 buyers at once",
    "rate": "rate a prompt",
    "step": "chain step (no mutation)",
}
# Issue 15's targets: the API's throughput over the limit's, per scenario.
TARGETS = {
    "market_list": 0.50,
    "reputation": 0.50,
    "buy": 0.35,
    "buy_hot": 0.35,
    "rate": 0.35,
    "step": 0.35,
}
DOC_START, DOC_END = "<!-- bench:start -->", "<!-- bench:end -->"
# SQLite runs serve `make run`'s settings; only its throttles are raised (by their environment
# variables) so that the load measures the API, not 429s.
SQLITE_SETTINGS = "config.settings.local"
NO_THROTTLE = {
    "THROTTLE_ANON": "100000000/min",
    "THROTTLE_USER": "100000000/min",
    "THROTTLE_AUTH": "100000000/min",
}


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


def seed_command(py: str, size: str, extra: list[str]) -> list[str]:
    """The one place that knows how the bench data is seeded."""
    return [py, "-m", "bench.seed_scale", "--size", size, *extra]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def sqlite_database(size: str, reuse: bool) -> tuple[str, bool]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench-{size}.sqlite3"
    existed = path.exists()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", not (existed and reuse)


def run(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    log(" ".join(cmd))
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not become healthy")


def serve(app: str, env: dict, workers: int) -> tuple[subprocess.Popen, int]:
    """gunicorn on loopback; the API and the limit get this same command, app aside."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    wait_healthy(port, proc)
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    proc.wait(timeout=30)


def warm(port: int, fx: dict, writes: range) -> None:
    """Each scenario a few times before any measured run, so that no worker pays its first
    request's one-time costs inside a run; ``writes`` are pair indices from the reserved
    range, different for each server."""
    sys.path.insert(0, str(ROOT))
    from bench.tasks import scenario_urls, write_request

    def call(path: str, body: dict | None = None, token: str | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data, headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                r.read()
        except OSError as exc:  # an HTTP error shows up again, counted, in the load run
            log(f"warm-up {path}: {exc}")

    for url in scenario_urls(fx).values():
        for _ in range(20):
            call(url)
    for scenario in WRITES:
        for j in writes:
            call(*write_request(fx, scenario, j))


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


def slices(fx: dict, scenario: str, runs: int) -> list[int]:
    """Each run's first pair index: disjoint slices, so no run repeats another's purchase."""
    sys.path.insert(0, str(ROOT))
    from bench.tasks import pair_capacity

    width = pair_capacity(fx, scenario) // max(runs, 1)
    return [i * width for i in range(runs)]


def spread(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def bench_postgres(size: str, args) -> dict:
    db_url, fresh = postgres_database(size, args.reuse)
    env, fx, counts = prepared(size, db_url, fresh, args)
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
            starts = slices(fx, scenario, 2 * args.pairs)
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
        "hot_prompt_ratings": fx["hot_prompt_ratings"],
        "scenarios": scenarios,
        "ledger_invariants": invariants(env, f"pg-{size}"),
    }


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


def machine() -> dict:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_mib": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _range(values: list[float], fmt: str = "{:,.0f}") -> str:
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}-{fmt.format(hi)}"


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Run of {report['started']} on {m['cpus']} CPUs, {m['memory_mib'] // 1024} GiB, "
        f"load average at start {m['load_average_at_start']}.",
        "",
    ]
    for size, r in report["postgresql"].items():
        lines += [
            f"**{size}, PostgreSQL**: API and limit served by the same gunicorn command "
            f"({r['workers']} sync workers), {r['clients']} locust clients, {r['seconds_per_run']} s "
            f"per run, {r['pairs']} alternated pair(s) per scenario"
            + (f"; seeded in {r['seed_seconds']} s" if r["seed_seconds"] else "")
            + ".",
            "",
            "| scenario | API req/s | limit req/s | api / limit (median, min-max) | target | "
            "API p95 ms | limit p95 ms | API queries/req | failed API / limit |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for s in r["scenarios"].values():
            api, lim, ratio = s["api"], s["limit"], s["ratio"]
            mark = "met" if s["met"] else "**missed**"
            lines.append(
                f"| {s['label']} | {_range([x['rps'] for x in api])} | "
                f"{_range([x['rps'] for x in lim])} | **{ratio['median']:.2f}** "
                f"({ratio['min']:.2f}-{ratio['max']:.2f}) | ≥ {s['target']:.2f} {mark} | "
                f"{_range([x['p95_ms'] for x in api])} | {_range([x['p95_ms'] for x in lim])} | "
                f"{s['queries']} | {sum(x['failures'] for x in api)} / "
                f"{sum(x['failures'] for x in lim)} |"
            )
        inv = r["ledger_invariants"]
        lines += [
            "",
            f"- ledger invariants after the run: **{'hold' if inv['ok'] else 'BROKEN'}** ({inv})",
            "",
        ]
    for size, r in report["sqlite"].items():
        lines += [
            f"**{size}, SQLite** (`make run`'s settings `{r['settings']}`, throttles raised; "
            f"API only, no limit; {r['workers']} sync workers, {r['clients']} clients, "
            f"{r['seconds_per_run']} s):",
            "",
            "| scenario | req/s | p50 ms | p95 ms | queries/req | failed |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for s in r["scenarios"].values():
            x = s["api"][0]
            lines.append(
                f"| {s['label']} | {x['rps']} | {x['p50_ms']:g} | {x['p95_ms']:g} | "
                f"{s['queries']} | {x['failures']}/{x['requests']} |"
            )
        inv = r["ledger_invariants"]
        lines += ["", f"- ledger invariants: **{'hold' if inv['ok'] else 'BROKEN'}**", ""]
    return "\n".join(lines)


def update_doc(table: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text() if doc.exists() else ""
    if DOC_START not in text or DOC_END not in text:
        return
    head, rest = text.split(DOC_START, 1)
    _, tail = rest.split(DOC_END, 1)
    doc.write_text(f"{head}{DOC_START}\n{table}\n{DOC_END}{tail}")


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
