""".ci/run: lint runs after the SQLite suite, and under CI a PostgreSQL that does not answer
fails the run instead of being skipped. The script runs as written, with its tools stubbed
(make, npm, node, apt-get, Chromium) and PostgreSQL pointed at a port nothing listens on."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ci_copy(tmp_path):
    """A copy of the script in a scratch checkout whose tools only record their calls."""
    port = _closed_port()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for tool in ["make", "npm", "node", "apt-get", "chromium", "chromedriver"]:
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n')
        stub.chmod(0o755)
    script = (ROOT / ".ci" / "run").read_text()
    script = script.replace("127.0.0.1:5432", f"127.0.0.1:{port}")
    script = script.replace("/usr/bin/chromium", str(bin_dir / "chromium"))
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "run").write_text(script)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return tmp_path, env, log


def _run(ci_copy, ci: str):
    root, env, log = ci_copy
    result = subprocess.run(
        ["bash", str(root / ".ci" / "run")],
        env={**env, "CI": ci},
        capture_output=True,
        text=True,
        timeout=120,
    )
    calls = [line.split()[:2] for line in log.read_text().splitlines()]
    return result, calls


def test_under_ci_a_silent_postgresql_fails_the_run_after_tests_and_lint(ci_copy):
    result, calls = _run(ci_copy, "true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PostgreSQL does not answer" in result.stdout
    makes = [c for c in calls if c[0] == "make"]
    assert makes == [["make", "test"], ["make", "lint"]]


def test_outside_ci_a_silent_postgresql_is_skipped(ci_copy):
    result, calls = _run(ci_copy, "false")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipping the PostgreSQL run" in result.stdout
    assert [c for c in calls if c[0] == "make"] == [["make", "test"], ["make", "lint"]]
