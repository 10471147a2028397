"""Event streams under load: N open SSE streams against one uvicorn process, the delay from each
event's commit to its arrival on every stream, and CPU while the streams idle.

Database: a SQLite file under bench/out/ (the default, served by the poll listener), or, when
DATABASE_URL names a PostgreSQL server, a database of its own on it (``mythos_bench_streams``,
created and dropped here; LISTEN/NOTIFY).

The readers are lean on purpose: raw asyncio protocols that only look for each message's
``id:`` line, spread over ``--clients`` processes, so that the client is not what is measured.
An arrival is timed when its bytes are read from the socket; a commit is timed by the emitting
process right after ``COMMIT`` returns (``transaction.on_commit``), so the delay is commit →
arrival, on one clock (time.time() on one machine).

    python bench/streams.py [--streams 1000] [--events 20] [--interval 0.25] [--idle 10]
                            [--clients 2]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BENCH_DB = "mythos_bench_streams"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env: dict, *args: str, code: str | None = None) -> str:
    cmd = [PY, "manage.py", *args] + (["-c", code] if code else [])
    return subprocess.run(
        cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Cpu:
    """CPU used by each of ``pids`` since this was made, as a share of one core."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.started = pids, time.monotonic()
        self.base = [_cpu_seconds(pid) for pid in pids]

    def rates(self) -> list[float]:
        elapsed = time.monotonic() - self.started
        return [
            (_cpu_seconds(pid) - base) / elapsed
            for pid, base in zip(self.pids, self.base, strict=True)
        ]


# --- the readers (each client process) ------------------------------------------------------


class _Stream(asyncio.Protocol):
    """One open stream: notes (event id, time read) for every ``id:`` line."""

    def __init__(self, request: bytes, arrivals: list, opened: asyncio.Future) -> None:
        self.request, self.arrivals, self.opened = request, arrivals, opened
        self.buffer = b""

    def connection_made(self, transport) -> None:
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        lines = (self.buffer + data).split(b"\n")
        self.buffer = lines.pop()
        for line in lines:
            if line.startswith(b"id: "):
                self.arrivals.append((int(line[4:]), now))
            elif line.startswith(b"retry:") and not self.opened.done():
                self.opened.set_result(time.monotonic())
            elif line.startswith((b"HTTP/1.1 4", b"HTTP/1.1 5")):
                self.opened.set_exception(RuntimeError(line.decode().strip()))

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(RuntimeError(f"closed before it opened: {exc}"))


async def _client(port: int, token: str, streams: int, pipe) -> None:
    loop = asyncio.get_running_loop()
    request = (
        f"GET /api/v1/events/stream/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {token}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    arrivals: list[tuple[int, float]] = []
    await loop.run_in_executor(None, pipe.recv)  # "open"
    openings: list[asyncio.Future[float]] = [loop.create_future() for _ in range(streams)]
    connects = [
        loop.create_connection(functools.partial(_Stream, request, arrivals, f), "127.0.0.1", port)
        for f in openings
    ]
    transports = [t for t, _ in await asyncio.gather(*connects)]
    try:
        pipe.send(max(await asyncio.wait_for(asyncio.gather(*openings), timeout=300)))
    except (OSError, RuntimeError, TimeoutError) as exc:
        pipe.send(repr(exc))
        return
    expected = await loop.run_in_executor(None, pipe.recv)  # messages to expect per stream
    deadline = time.monotonic() + 15
    while len(arrivals) < streams * expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    pipe.send(arrivals)
    for transport in transports:
        transport.close()


def _client_main(port: int, token: str, streams: int, pipe) -> None:
    asyncio.run(_client(port, token, streams, pipe))


# --- the run --------------------------------------------------------------------------------

EMIT = """
import json, time
from django.contrib.auth.models import User
from django.db import transaction
from core.events import event_emit
u = User.objects.get(username='streams-bench')
committed = {}
for i in range(%(events)d):
    with transaction.atomic():
        e = event_emit(type='chain.completed', data={'chain': 1, 'steps': i}, recipients=[u.pk])
        transaction.on_commit(lambda pk=e.pk: committed.__setitem__(pk, time.time()))
    time.sleep(%(interval)f)
print(json.dumps(committed))
"""


def _database(env: dict) -> str | None:
    """The bench's own database, set as ``env["DATABASE_URL"]``: on PostgreSQL a fresh
    database, answering the maintenance URL to drop it with; on SQLite a fresh file (None)."""
    url = env.get("DATABASE_URL")
    if not url:
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        db = out / "streams.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
        return None
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    return admin


def _drop(admin: str | None) -> None:
    if admin:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


class _Sessions:
    """On PostgreSQL, the most sessions the bench database had at once (sampled every 50 ms)."""

    def __init__(self, admin: str | None) -> None:
        self.peak, self.stop = 0, threading.Event()
        self.thread = threading.Thread(target=self._run, args=(admin,), daemon=True)
        if admin:
            self.thread.start()

    def _run(self, admin: str) -> None:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            while not self.stop.wait(0.05):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [BENCH_DB]
                ).fetchone()
                self.peak = max(self.peak, row[0] if row else 0)

    def close(self) -> int | None:
        self.stop.set()
        if not self.thread.is_alive():
            return None
        self.thread.join(timeout=5)
        return self.peak


def _pct(values: list[float], p: float) -> float:
    return round(values[max(0, int(len(values) * p) - 1)] * 1000, 1)


def _run(args, env: dict, port: int, token: str, server_pid: int, admin: str | None) -> dict:
    ctx = mp.get_context("fork")
    pipes, procs = [], []
    for i in range(args.clients):
        share = args.streams // args.clients + (i < args.streams % args.clients)
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_client_main, args=(port, token, share, child), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    try:
        pids = [server_pid] + [int(p.pid or 0) for p in procs]
        cpu, sessions = _Cpu(pids), _Sessions(admin)
        started = time.monotonic()
        for pipe in pipes:
            pipe.send("open")
        done = [pipe.recv() for pipe in pipes]
        if any(not isinstance(d, float) for d in done):
            raise SystemExit(f"streams did not open: {done}")
        open_seconds = max(done) - started
        opening = cpu.rates()
        peak_sessions = sessions.close()

        cpu = _Cpu(pids)
        time.sleep(args.idle)
        idle = cpu.rates()

        cpu = _Cpu(pids)
        code = EMIT % {"events": args.events, "interval": args.interval}
        committed = {
            int(k): v
            for k, v in json.loads(_manage(env, "shell", code=code).splitlines()[-1]).items()
        }
        for pipe in pipes:
            pipe.send(args.events)
        arrivals = [a for pipe in pipes for a in pipe.recv()]
        busy = cpu.rates()
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    delays = sorted(t - committed[i] for i, t in arrivals if i in committed)
    return {
        "streams": args.streams,
        "events": args.events,
        "client_processes": args.clients,
        "delivered": f"{len(delays)}/{args.streams * args.events}",
        "open_all_seconds": round(open_seconds, 2),
        "opening_cpu_percent": round(opening[0] * 100, 1),
        "opening_peak_db_sessions": peak_sessions,
        "delay_p50_ms": _pct(delays, 0.5) if delays else None,
        "delay_p95_ms": _pct(delays, 0.95) if delays else None,
        "delay_max_ms": round(delays[-1] * 1000, 1) if delays else None,
        "idle_cpu_percent": round(idle[0] * 100, 2),
        "idle_client_cpu_percent": round(sum(idle[1:]) * 100, 2),
        "events_cpu_percent": round(busy[0] * 100, 1),
        "events_client_cpu_percent": round(sum(busy[1:]) * 100, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between events")
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=2, help="reader processes")
    args = parser.parse_args()

    # Production-like (DEBUG off; on PostgreSQL the bounded connection pool), one secret key.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    env.setdefault("SECRET_KEY", os.urandom(48).hex())
    admin = _database(env)
    try:
        _manage(env, "migrate", "--noinput", "-v", "0")
        token = _manage(
            env,
            "shell",
            code=(
                "from django.contrib.auth.models import User; from knox.models import AuthToken\n"
                "u, _ = User.objects.get_or_create(username='streams-bench')\n"
                "print(AuthToken.objects.create(u)[1])"
            ),
        ).splitlines()[-1]
        port = _free_port()
        server = subprocess.Popen(
            [PY, "-m", "uvicorn", "config.asgi:application", "--port", str(port),
             "--log-level", "warning", "--no-access-log", "--backlog", "4096"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            result = _run(args, env, port, token, server.pid, admin)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        _drop(admin)
    result["load_average"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
