"""``make bench``: seed a bench database, serve it with gunicorn, load each scenario with locust
(headless, loopback, fixed time), count queries per request, check the ledger, and write
bench/results.json, bench/results.md and the figures section of docs/performance.md.

Database: PostgreSQL when DATABASE_URL is set (a separate ``mythos_bench_<size>`` database on
that server, dropped and re-created), else a SQLite file under bench/out/.

    python bench/run.py [--sizes small large] [--time 20] [--users 8] [--workers N] [--reuse]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import signal
import socket
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
READS = ["market_list", "limit_market_list", "reputation", "reflections"]
WRITES = ["buy", "rate", "step"]
LABELS = {
    "market_list": "GET /api/v1/market/prompts/?ordering=-trust&page_size=50",
    "limit_market_list": "limit: same page, one SQL query + orjson (/bench/limit/market/)",
    "reputation": "GET /api/v1/prompts/{id}/reputation/ (prompt with many ratings)",
    "reflections": "GET /api/v1/train/chains/{id}/reflections/",
    "buy": "POST /api/v1/market/prompts/{id}/buy/ (distinct buyers)",
    "rate": "POST /api/v1/prompts/{id}/rate/",
    "step": "POST /api/v1/train/chains/{id}/step/",
}
DOC_START, DOC_END = "<!-- bench:start -->", "<!-- bench:end -->"


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_database(size: str, reuse: bool) -> tuple[str, str, bool]:
    """(DATABASE_URL for the bench, vendor, whether it is new). Fresh unless ``reuse``."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        import psycopg

        parsed = urllib.parse.urlparse(base)
        name = f"mythos_bench_{size}"
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and not reuse:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            if not exists or not reuse:
                conn.execute(f'CREATE DATABASE "{name}"')
        return parsed._replace(path=f"/{name}").geturl(), "postgresql", not (exists and reuse)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench-{size}.sqlite3"
    existed = path.exists()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", "sqlite", not (existed and reuse)


def run(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    log(" ".join(cmd))
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not become healthy")


def warm(port: int, fx: dict) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.tasks import scenario_urls

    for url in scenario_urls(fx).values():
        for _ in range(20):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=30) as r:
                    r.read()
            except OSError as exc:  # an HTTP error shows up again, counted, in the load run
                log(f"warm-up {url}: {exc}")
                break


def locust(scenario: str, port: int, env: dict, args, size: str, offset: int) -> dict:
    prefix = OUT / f"{size}-{scenario}"
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
        f"{args.time}s",
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
    env = {
        **env,
        "BENCH_SCENARIO": scenario,
        "BENCH_PAIR_OFFSET": str(offset),
        "BENCH_FIXTURES": str(OUT / f"fixtures-{size}.json"),
    }
    log(f"load {scenario}: {args.users} clients for {args.time}s")
    subprocess.run(cmd, env=env, cwd=ROOT, check=False, timeout=args.time + 120)
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    row = rows["Aggregated"]
    requests = int(row["Request Count"])
    failures = int(row["Failure Count"])
    errors = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, newline="") as f:
            errors = [r["Error"][:200] for r in csv.DictReader(f)][:3]
    return {
        "requests": requests,
        "failures": failures,
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
        "errors": errors,
    }


def bench_redis() -> str | None:
    """REDIS_URL for the run: the caller's, or a local Redis on a database of its own (emptied,
    so cached counts of another size never leak in); None when there is no Redis."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        if not os.environ.get("REDIS_URL"):
            client.flushdb()
        client.ping()
    except redis.RedisError:
        log("no Redis: each gunicorn worker keeps its own local-memory cache")
        return None
    log(f"cache: {url}")
    return url


def bench_size(size: str, args) -> dict:
    db_url, vendor, fresh = bench_database(size, args.reuse)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": db_url,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SECRET_KEY", None)  # bench settings generate one per process unless set
    env["SECRET_KEY"] = os.urandom(48).hex()  # one key shared by gunicorn and the steps
    redis_url = bench_redis()
    if redis_url:
        env["REDIS_URL"] = redis_url  # one cache for all workers, as in production
    py = sys.executable
    seeded = None
    run([py, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    if fresh:
        t0 = time.monotonic()
        seed_cmd = [py, "-m", "bench.seed_scale", "--size", size, *args.seed_args]
        if vendor == "sqlite" and size == "large":
            raise SystemExit("the large size needs PostgreSQL: set DATABASE_URL")
        run(seed_cmd, env)
        seeded = round(time.monotonic() - t0, 1)
    fixtures = OUT / f"fixtures-{size}.json"
    run([py, "-m", "bench.tasks", "prepare", str(fixtures)], env)
    fx = json.loads(fixtures.read_text())
    counts_path = OUT / f"queries-{size}.json"
    run([py, "-m", "bench.tasks", "queries", str(fixtures), str(counts_path)], env)
    counts = json.loads(counts_path.read_text())

    port = free_port()
    workers = args.workers or (os.cpu_count() or 1) * 2 + 1
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
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
    results: dict = {}
    try:
        wait_healthy(port)
        warm(port, fx)
        for i, scenario in enumerate([*READS, *WRITES]):
            if args.only and scenario not in args.only:
                continue
            # Each write scenario starts its pairs far from the others' (no pair used twice).
            stats = locust(scenario, port, env, args, size, offset=i * 1_000_000)
            stats["queries"] = counts.get(scenario, {}).get("queries")
            stats["label"] = LABELS[scenario]
            results[scenario] = stats
            log(
                f"  {scenario}: {stats['rps']} req/s, p50 {stats['p50_ms']} ms, "
                f"p95 {stats['p95_ms']} ms, p99 {stats['p99_ms']} ms, "
                f"{stats['failures']}/{stats['requests']} failed"
            )
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    inv_path = OUT / f"invariants-{size}.json"
    run([py, "-m", "bench.tasks", "invariants", str(inv_path)], env)
    invariants = json.loads(inv_path.read_text())
    ratio = None
    if "market_list" in results and "limit_market_list" in results:
        ratio = round(
            results["market_list"]["rps"] / max(results["limit_market_list"]["rps"], 1e-9), 3
        )
    return {
        "database": vendor,
        "seed_seconds": seeded,
        "workers": workers,
        "clients": args.users,
        "seconds_per_scenario": args.time,
        "hot_prompt_ratings": fx["hot_prompt_ratings"],
        "hot_chain_reflections": fx["hot_chain_reflections"],
        "scenarios": results,
        "api_over_limit": ratio,
        "ledger_invariants": invariants,
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


def markdown(report: dict) -> str:
    lines = [
        f"Run of {report['started']} on {report['machine']['cpus']} CPUs, "
        f"{report['machine']['memory_mib'] // 1024} GiB, load average at start "
        f"{report['machine']['load_average_at_start']}.",
        "",
    ]
    sizes = report["sizes"]
    for size, r in sizes.items():
        lines += [
            f"**{size}** on {r['database']} ({r['workers']} gunicorn sync workers, "
            f"{r['clients']} locust clients, {r['seconds_per_scenario']} s per scenario; "
            f"hot prompt {r['hot_prompt_ratings']} ratings, hot chain "
            f"{r['hot_chain_reflections']} reflections"
            + (f"; seeded in {r['seed_seconds']} s" if r["seed_seconds"] else "")
            + ")",
            "",
            "| scenario | req/s | p50 ms | p95 ms | p99 ms | queries/req | failed |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for s in r["scenarios"].values():
            lines.append(
                f"| {s['label']} | {s['rps']} | {s['p50_ms']:g} | {s['p95_ms']:g} | "
                f"{s['p99_ms']:g} | {s['queries']} | {s['failures']}/{s['requests']} |"
            )
        lines += [
            "",
            f"- api / limit (market list throughput): **{r['api_over_limit']}**",
            f"- ledger invariants after the run: **{'hold' if r['ledger_invariants']['ok'] else 'BROKEN'}** "
            f"({r['ledger_invariants']})",
            "",
        ]
    if "small" in sizes and "large" in sizes:
        lines += [
            "p95 large / small:",
            "",
            "| scenario | small p95 | large p95 | ratio |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, s in sizes["small"]["scenarios"].items():
            large = sizes["large"]["scenarios"].get(name)
            if large:
                ratio = large["p95_ms"] / max(s["p95_ms"], 1e-9)
                lines.append(f"| {name} | {s['p95_ms']:g} | {large['p95_ms']:g} | {ratio:.2f} |")
        lines.append("")
    return "\n".join(lines)


def update_doc(table: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    if not doc.exists():
        return
    text = doc.read_text()
    if DOC_START not in text or DOC_END not in text:
        return
    head, rest = text.split(DOC_START, 1)
    _, tail = rest.split(DOC_END, 1)
    doc.write_text(f"{head}{DOC_START}\n{table}\n{DOC_END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", nargs="+", default=os.environ.get("BENCH_SIZES", "small").split()
    )
    parser.add_argument("--time", type=int, default=int(os.environ.get("BENCH_TIME", "20")))
    parser.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", "8")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "0")))
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded bench DB")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    parser.add_argument("--seed-args", nargs="*", default=[], help="extra seed_scale flags")
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    args = parser.parse_args()
    if args.time > 300 or args.users > 64:
        raise SystemExit("bounded runs only: --time <= 300, --users <= 64")
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "sizes": {},
    }
    for size in args.sizes:
        log(f"=== size {size} ===")
        report["sizes"][size] = bench_size(size, args)
    (ROOT / "bench" / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (ROOT / "bench" / "results.md").write_text("# Bench results\n\n" + table + "\n")
    if not args.no_doc:
        update_doc(table)
    print(table)
    bad = [s for s, r in report["sizes"].items() if not r["ledger_invariants"]["ok"]]
    if bad:
        raise SystemExit(f"ledger invariants broken after the run: {bad}")


if __name__ == "__main__":
    if shutil.which("locust", path=str(BIN)) is None:
        raise SystemExit("locust is not installed: run make install")
    main()
