"""Event streams under load: N open SSE streams against one uvicorn process, the p95 delay from
an event's commit to its arrival on every stream, and the server's CPU while the streams idle.

Database: a SQLite file under bench/out/ (the default the poll listener serves), or PostgreSQL
(LISTEN/NOTIFY) when DATABASE_URL is set.

    python bench/streams.py [--streams 1000] [--events 20] [--idle 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


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


async def _reader(client: httpx.AsyncClient, url: str, token: str, arrivals: list, ready) -> None:
    headers = {"Authorization": f"Token {token}", "Accept": "text/event-stream"}
    async with client.stream("GET", url, headers=headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("retry:"):
                ready.release()
            elif line.startswith("data:"):
                event = json.loads(line[5:])
                created = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
                arrivals.append(time.time() - created.timestamp())


async def _run(args, base: str, token: str, env: dict, server_pid: int) -> dict:
    arrivals: list[float] = []
    ready = asyncio.Semaphore(0)
    limits = httpx.Limits(max_connections=args.streams + 10)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits) as client:
        tasks = [
            asyncio.create_task(
                _reader(client, f"{base}/api/v1/events/stream/", token, arrivals, ready)
            )
            for _ in range(args.streams)
        ]
        opened = time.monotonic()
        for _ in range(args.streams):
            await asyncio.wait_for(ready.acquire(), timeout=120)
        open_seconds = time.monotonic() - opened
        cpu0, t0 = _cpu_seconds(server_pid), time.monotonic()
        await asyncio.sleep(args.idle)
        idle_cpu = (_cpu_seconds(server_pid) - cpu0) / (time.monotonic() - t0)
        emit = (
            "from django.contrib.auth.models import User; import time\n"
            "from core.events import event_emit\n"
            "u = User.objects.get(username='streams-bench')\n"
            f"for i in range({args.events}):\n"
            "    event_emit(type='chain.completed', data={'chain': 1, 'steps': i}, recipients=[u.pk])\n"
            "    time.sleep(0.25)\n"
        )
        await asyncio.to_thread(_manage, env, "shell", code=emit)  # another process commits
        deadline = time.monotonic() + 10
        while len(arrivals) < args.streams * args.events and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
    delays = sorted(arrivals)
    expected = args.streams * args.events
    return {
        "streams": args.streams,
        "events": args.events,
        "delivered": f"{len(delays)}/{expected}",
        "open_all_seconds": round(open_seconds, 2),
        "delay_p50_ms": round(statistics.median(delays) * 1000, 1) if delays else None,
        "delay_p95_ms": round(delays[int(len(delays) * 0.95) - 1] * 1000, 1) if delays else None,
        "delay_max_ms": round(delays[-1] * 1000, 1) if delays else None,
        "idle_cpu_percent": round(idle_cpu * 100, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    if not env.get("DATABASE_URL"):
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        db = out / "streams.sqlite3"
        db.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
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
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        result = asyncio.run(_run(args, base, token, env, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
