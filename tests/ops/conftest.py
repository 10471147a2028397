"""A private redis-server per test that needs one: started on a free port, stopped and
restarted at will (never the machine's Redis on 6379). Without redis-server on PATH these
tests skip locally and fail under CI=true."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from django.test import override_settings
from rest_framework.throttling import SimpleRateThrottle


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, binary: str):
        self.binary = binary
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="mythos-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server():
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (required under CI)")
        pytest.skip("redis-server is not installed")
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def redis_caches(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "api.cache.FailOpenRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "mythos-test",
            # Retry Redis on every call, so a test sees it come back at once.
            "OPTIONS": {"retry_after_seconds": 0},
        }
    }


@pytest.fixture
def redis_cache(redis_server):
    """The Django cache on the private redis-server."""
    with override_settings(CACHES=redis_caches(redis_server.url)):
        yield redis_server


@pytest.fixture
def throttle_rates(monkeypatch):
    """Set throttle rates for one test (DRF reads them once, at import)."""

    def set_rates(**rates: str) -> None:
        merged = {**SimpleRateThrottle.THROTTLE_RATES, **rates}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", merged)

    return set_rates
