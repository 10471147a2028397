"""Soak: mixed reads and writes from several threads against gunicorn (production settings,
config/gunicorn.conf.py) on PostgreSQL, for a bounded time on loopback; then the invariants.

Runs only as its own step of .ci/run (``SOAK=1``, PostgreSQL): see tests/e2e/conftest.py.
``SOAK_SECONDS`` (default 75) bounds the load; ``SOAK_THREADS`` (default 8) sets the callers.

Invariants checked afterwards, on the database itself: no 5xx (and no transport error); the
sum of all wallet balances equals the sum of all grants; every wallet equals its ledger
(credits - debits); no training-chain step number taken twice, and each chain's
``current_step`` equals its reflection count; no licence duplicated. The figures go to
docs/performance.md between the soak markers, and to ``SOAK_REPORT`` (JSON) when set.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from tests.e2e.soak_load import Caller, make_chains, operations_available, requests
from tests.e2e.soak_report import check_invariants, write_figures

from .conftest import gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECONDS = float(os.environ.get("SOAK_SECONDS", "75"))
THREADS = int(os.environ.get("SOAK_THREADS", "8"))
USERS = 6


def test_soak_mixed_load_keeps_the_books(tmp_path):
    assert connection.vendor == "postgresql", "the soak runs on PostgreSQL (DATABASE_URL)"
    assert requests is not None, "requests is missing"
    from knox.models import AuthToken

    from tests.factories import AssistantFactory, UserFactory

    users = [UserFactory() for _ in range(USERS)]
    assistants = [AssistantFactory(owner=u).pk for u in users]
    tokens = [AuthToken.objects.create(u)[1] for u in users]
    available = operations_available()

    workers = 2 * (os.cpu_count() or 1) + 1
    unlimited = "100000000/min"
    with gunicorn(
        tmp_path, THROTTLE_ANON=unlimited, THROTTLE_USER=unlimited, THROTTLE_AUTH=unlimited
    ) as base:
        shared: dict = {
            "prompts": [],
            "listings": [],
            "owned": [],
            "chains": make_chains(base, tokens, assistants) if available["chains"] else [],
            "can": available,
        }
        callers = [
            Caller(base, tokens[i % USERS], assistants[i % USERS], shared, seed=i)
            for i in range(THREADS)
        ]
        for caller in callers[:USERS]:  # something to read and buy from the start
            caller.create_prompt()
        started = time.monotonic()
        deadline = started + SECONDS
        threads = [threading.Thread(target=c.run, args=(deadline,)) for c in callers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 120)
        elapsed = time.monotonic() - started
        assert not any(t.is_alive() for t in threads), "a client thread did not stop"

    statuses: Counter = sum((c.statuses for c in callers), Counter())
    errors = [e for c in callers for e in c.errors]
    latencies = sorted(x for c in callers for x in c.latencies)
    total = sum(statuses.values())
    server_errors = sum(n for (_, status), n in statuses.items() if status >= 500)
    checked = check_invariants()
    figures = {
        "seconds": elapsed,
        "threads": THREADS,
        "workers": workers,
        "machine": f"{os.cpu_count()} cores, PostgreSQL {connection.pg_version // 10000}",
        "operations": [k for k, v in available.items() if v] + ["prompt create", "reads"],
        "requests": total,
        "rps": total / elapsed,
        "server_errors": server_errors,
        "errors": len(errors),
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0,
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)] if latencies else 0,
        "by_operation": {f"{label} → {status}": n for (label, status), n in statuses.items()},
        "checked": checked,
    }
    write_figures(figures)
    print(json.dumps({k: v for k, v in figures.items() if k != "by_operation"}, indent=1))
    assert total > 0
    assert server_errors == 0, errors[:20]
    assert not errors, errors[:20]
