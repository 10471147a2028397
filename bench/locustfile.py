"""Load for one scenario per run (``BENCH_SCENARIO``), closed loop: each simulated client sends
its next request as soon as the last one answers. Reads the fixtures written by
``bench.tasks prepare`` (``BENCH_FIXTURES``). Loopback only: bench/run.py passes the host."""

import itertools
import json
import os
import sys
from pathlib import Path

from locust import FastHttpUser, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tasks import scenario_urls, write_request

SCENARIO = os.environ["BENCH_SCENARIO"]
FIXTURES = json.loads(Path(os.environ["BENCH_FIXTURES"]).read_text())
URLS = scenario_urls(FIXTURES)
# One counter for the whole process: every write gets a pair nobody else uses.
PAIRS = itertools.count(FIXTURES["reserved_pairs"] + int(os.environ.get("BENCH_PAIR_OFFSET", "0")))


class BenchClient(FastHttpUser):
    wait_time = constant(0)

    @task
    def one_request(self) -> None:
        if SCENARIO in URLS:
            self.client.get(URLS[SCENARIO], name=SCENARIO)
            return
        path, body, token = write_request(FIXTURES, SCENARIO, next(PAIRS))
        with self.client.post(
            path,
            data=json.dumps(body),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            name=SCENARIO,
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
