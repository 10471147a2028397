"""What every part of the bench harness shares: the repository's paths, the scenarios with
their labels and targets (the API's throughput over the limit's), the settings and throttle
overrides of the SQLite runs, the timestamped log and the one way a step runs as a
subprocess (from the repository root, failing the run when it fails)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


def run(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    log(" ".join(cmd))
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)
