"""Serving for the bench: gunicorn on a free loopback port with the one command the API and
the limit share (sync workers, the app aside), waited on until ``/healthz`` answers, stopped
with its process group; and the warm-up that calls every scenario before any measured run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from bench.harness.common import BIN, ROOT, WRITES, log
from bench.tasks import scenario_urls, write_request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
