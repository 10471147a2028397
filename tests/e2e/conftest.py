"""Helpers for the end-to-end checks: real servers on loopback, real tools.

A tool these checks need (node, npm packages, Chromium) that is missing makes the test *fail*
when ``CI`` is set (CI installs them in .ci/run) and skip with the reason otherwise, so a
developer without a browser can still run the suite.

The soak test is only collected when ``SOAK=1`` (it is a step of its own in .ci/run).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

collect_ignore = [] if os.environ.get("SOAK") == "1" else ["test_soak.py"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require(condition: bool, what: str) -> None:
    """Fail in CI, skip elsewhere, when a tool the check needs is missing."""
    if condition:
        return
    message = f"{what} is missing (.ci/run installs it)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_executable(name: str, path: str | None = None) -> str:
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    require(found is not None, name)
    return str(found)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """A DATABASE_URL for the database the running test uses (the test database)."""
    settings = connection.settings_dict
    if settings["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout}s")


SECRET = "e2e-" + "k" * 60  # production settings want 50+ characters; loopback only


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": test_database_url(),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


def collected_static() -> Path:
    """``collectstatic`` in production settings (hashed names, gzip and brotli copies), cached
    under .venv by the hash of the locked packages: every static file comes from them, and a
    full run takes about a minute on two cores."""
    key = hashlib.sha256((ROOT / "requirements" / "base.txt").read_bytes()).hexdigest()[:16]
    target = ROOT / ".venv" / f"staticfiles-{key}"
    if (target / "staticfiles.json").exists():
        return target
    building = target.with_name(f"{target.name}.{os.getpid()}")
    env = production_env(STATIC_ROOT=str(building))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    try:
        building.rename(target)
    except OSError:  # another run finished first: use its copy
        shutil.rmtree(building, ignore_errors=True)
    return target


@contextlib.contextmanager
def gunicorn(tmp_path: Path, **env_overrides: str) -> Iterator[str]:
    """gunicorn with config/gunicorn.conf.py and production settings on a free loopback port,
    against the test database; yields its base URL and stops it (and its workers) afterwards."""
    port = free_port()
    env = production_env(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        STATIC_ROOT=str(collected_static()),
        GUNICORN_ACCESS_LOG=str(tmp_path / "access.log"),
        GUNICORN_GRACEFUL_TIMEOUT="5",
        **env_overrides,
    )
    # The suite builds its tables without migrations; record them as applied, as a release
    # step would have, so /readyz (which refuses a host with pending migrations) answers ready.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--fake", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--config", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
