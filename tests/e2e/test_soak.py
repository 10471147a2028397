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
import random
import re
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count, Sum
from django.urls import NoReverseMatch, reverse

from .conftest import ROOT, gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

try:
    import requests
except ImportError:  # pragma: no cover - locust (dev lock) brings requests
    requests = None

SECONDS = float(os.environ.get("SOAK_SECONDS", "75"))
THREADS = int(os.environ.get("SOAK_THREADS", "8"))
USERS = 6
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- soak:start -->", "<!-- soak:end -->"


def route_exists(name: str, **kwargs) -> bool:
    try:
        reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return False
    return True


class Caller:
    """One thread's session: a user, their assistant, their token; counts what it saw."""

    def __init__(self, base: str, token: str, assistant_id: int, shared: dict, seed: int):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Token {token}"})
        self.assistant_id = assistant_id
        self.shared = shared
        self.random = random.Random(seed)
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.latencies: list[float] = []

    def send(self, label: str, method: str, path: str, ok: set[int], **kwargs):
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.errors.append(f"{label}: {exc!r}")
            return None
        self.latencies.append(time.perf_counter() - started)
        self.statuses[(label, response.status_code)] += 1
        if response.status_code >= 500 or response.status_code not in ok:
            self.errors.append(
                f"{label} {method} {path}: {response.status_code} {response.text[:200]}"
            )
        return response

    # --- operations ---------------------------------------------------------------------------

    def read_prompts(self):
        self.send("list prompts", "GET", "/api/v1/prompts/?page_size=20", {200})

    def read_prompt(self):
        if self.shared["prompts"]:
            pk = self.random.choice(self.shared["prompts"])
            self.send("read prompt", "GET", f"/api/v1/prompts/{pk}/", {200})

    def read_assistants(self):
        self.send("list assistants", "GET", "/api/v1/assistants/?page_size=50", {200})

    def create_prompt(self):
        response = self.send(
            "create prompt",
            "POST",
            "/api/v1/prompts/",
            {201},
            json={
                "author": self.assistant_id,
                "title": f"Soak {uuid.uuid4().hex[:8]}",
                "body": "Under load, speak plainly.",
                "tags": ["soak"],
            },
        )
        if response is not None and response.status_code == 201:
            prompt_id = response.json()["id"]
            self.shared["prompts"].append(prompt_id)
            if self.shared["can"]["market"]:
                self.list_prompt(prompt_id)

    def list_prompt(self, prompt_id: int):
        cost = f"{self.random.randint(1, 9)}.{self.random.randint(0, 99):02d}"
        response = self.send(
            "list for sale",
            "POST",
            "/api/v1/market/prompts/",
            {201},
            json={"prompt": prompt_id, "token_cost": cost},
        )
        if response is not None and response.status_code == 201:
            self.shared["listings"].append((response.json()["id"], self.assistant_id, prompt_id))

    def buy(self):
        offers = [item for item in self.shared["listings"] if item[1] != self.assistant_id]
        if not offers:
            return
        listing_id, _, prompt_id = self.random.choice(offers)
        key = uuid.uuid4().hex
        for _ in range(2 if self.random.random() < 0.3 else 1):  # some replays of the same key
            response = self.send(
                "buy",
                "POST",
                f"/api/v1/market/prompts/{listing_id}/buy/",
                {200, 201, 409},
                json={"buyer": self.assistant_id},
                headers={"Idempotency-Key": key},
            )
        if response is not None and response.status_code in (200, 201):
            self.shared["owned"].append((self.assistant_id, prompt_id))

    def rate(self):
        owned = [p for a, p in self.shared["owned"] if a == self.assistant_id]
        if not owned:
            return
        self.send(
            "rate",
            "POST",
            f"/api/v1/prompts/{self.random.choice(owned)}/rate/",
            {200, 201},
            json={
                "rater": self.assistant_id,
                "ritual_effectiveness": round(self.random.random(), 3),
                "assistant_approval": round(self.random.random(), 3),
            },
        )

    def step_chain(self):
        mine = [chain for chain, seed in self.shared["chains"] if seed == self.assistant_id]
        if not mine:  # only the seed's owner (or the turn's) may step: keep to the seeds
            return
        chain_id = self.random.choice(mine)
        self.send(
            "chain step",
            "POST",
            f"/api/v1/train/chains/{chain_id}/step/",
            {200, 201, 409},
            json={
                "reflection_notes": "A thought under load.",
                "memory_snapshot": {"n": self.random.randint(0, 9)},
                "belief_delta": round(self.random.uniform(-1, 1), 3),
            },
        )

    def read_wallet(self):
        self.send("read wallet", "GET", f"/api/v1/assistants/{self.assistant_id}/wallet/", {200})

    def run(self, deadline: float) -> None:
        ops = [(self.read_prompts, 4), (self.read_prompt, 4), (self.read_assistants, 1)]
        ops.append((self.create_prompt, 2))
        if self.shared["can"]["market"]:
            ops += [(self.buy, 3)]
        if self.shared["can"]["rate"]:
            ops.append((self.rate, 2))
        if self.shared["chains"]:
            ops.append((self.step_chain, 3))
        if self.shared["can"]["wallet"]:
            ops.append((self.read_wallet, 1))
        functions, weights = zip(*ops, strict=True)
        try:
            while time.monotonic() < deadline:
                self.random.choices(functions, weights)[0]()
        except Exception as exc:  # a bug in the caller must fail the run, not vanish
            self.errors.append(f"caller crashed: {exc!r}")
            raise


def _operations_available() -> dict[str, bool]:
    return {
        "market": route_exists("market-prompts-list") and route_exists("market-prompts-buy", pk=1),
        "rate": route_exists("prompts-rate", pk=1),
        "chains": route_exists("train-chains-list") and route_exists("train-chains-step", pk=1),
        "wallet": route_exists("assistants-wallet", pk=1),
    }


def _make_chains(base: str, tokens: list[str], assistants: list[int]) -> list[tuple[int, int]]:
    chains = []
    for i in range(3):
        response = requests.post(
            f"{base}/api/v1/train/chains/",
            json={
                "chain_title": f"Soak chain {i}",
                "seed_assistant": assistants[i],
                "involved_assistants": assistants[i : i + 3],
            },
            headers={"Authorization": f"Token {tokens[i]}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        chains.append((response.json()["id"], assistants[i]))
    return chains


def check_invariants() -> dict[str, int]:
    """The books balance, no step number twice, no licence twice. Returns the counts checked."""
    wallet_model = apps.get_model("economy", "Wallet")
    ledger_model = apps.get_model("economy", "LedgerEntry")
    licence_model = apps.get_model("core", "PromptLicence")

    total = wallet_model.objects.aggregate(s=Sum("balance_cents"))["s"] or 0
    grants = ledger_model.objects.filter(kind="grant").aggregate(s=Sum("amount_cents"))["s"] or 0
    assert total == grants, f"sum of balances {total} != sum of grants {grants}"
    credits = dict(
        ledger_model.objects.values_list("payee").annotate(s=Sum("amount_cents")).order_by()
    )
    debits = dict(
        ledger_model.objects.values_list("payer").annotate(s=Sum("amount_cents")).order_by()
    )
    wallets = 0
    for wallet_id, balance in wallet_model.objects.values_list("id", "balance_cents"):
        assert balance == credits.get(wallet_id, 0) - debits.get(wallet_id, 0), wallet_id
        assert balance >= 0
        wallets += 1

    duplicates = (
        licence_model.objects.values("assistant", "prompt").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not duplicates.exists(), list(duplicates)

    steps = 0
    try:
        reflection_model = apps.get_model("training", "AssistantReflectionChain")
        chain_model = apps.get_model("training", "SwarmTrainingChain")
    except LookupError:
        reflection_model = chain_model = None
    if reflection_model is not None and chain_model is not None:
        chain_fk = next(
            f.name
            for f in reflection_model._meta.concrete_fields
            if f.is_relation and f.related_model is chain_model
        )
        twice = (
            reflection_model.objects.values(chain_fk, "step")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not twice.exists(), list(twice)
        counts = dict(
            reflection_model.objects.values_list(chain_fk).annotate(n=Count("id")).order_by()
        )
        for chain_id, current in chain_model.objects.values_list("id", "current_step"):
            assert current == counts.get(chain_id, 0), (chain_id, current, counts.get(chain_id))
            numbers = sorted(
                reflection_model.objects.filter(**{chain_fk: chain_id}).values_list(
                    "step", flat=True
                )
            )
            assert (
                numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else True
            )
        steps = reflection_model.objects.count()
    return {
        "wallets": wallets,
        "ledger_entries": ledger_model.objects.count(),
        "licences": licence_model.objects.count(),
        "reflection_steps": steps,
    }


def write_figures(figures: dict) -> None:
    report = os.environ.get("SOAK_REPORT")
    if report:
        Path(report).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    ops = "\n".join(
        f"| {label} | {count} |" for label, count in sorted(figures["by_operation"].items())
    )
    section = f"""{START}
## Soak

`SOAK=1 pytest tests/e2e/test_soak.py` (run by `.ci/run` on PostgreSQL): gunicorn with
`config/gunicorn.conf.py` and production settings ({figures["workers"]} workers x 2 threads),
{figures["threads"]} client threads on loopback for {figures["seconds"]:.0f} s, mixed reads and
writes ({", ".join(figures["operations"])}), on {figures["machine"]}.

| figure | value |
| --- | --- |
| requests | {figures["requests"]} |
| requests/s | {figures["rps"]:.1f} |
| 5xx | {figures["server_errors"]} |
| unexpected answers or transport errors | {figures["errors"]} |
| p50 / p95 latency | {figures["p50_ms"]:.0f} ms / {figures["p95_ms"]:.0f} ms |
| wallets / ledger entries / licences / chain steps checked | {figures["checked"]["wallets"]} / {figures["checked"]["ledger_entries"]} / {figures["checked"]["licences"]} / {figures["checked"]["reflection_steps"]} |

| operation and status | requests |
| --- | --- |
{ops}

Invariants after the run: no 5xx; sum of balances = sum of grants; each wallet = its ledger;
no chain step number taken twice; no licence duplicated.
{END}"""
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if START in text and END in text:
        text = re.sub(
            re.escape(START) + r".*?" + re.escape(END), lambda _m: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)


def test_soak_mixed_load_keeps_the_books(tmp_path):
    assert connection.vendor == "postgresql", "the soak runs on PostgreSQL (DATABASE_URL)"
    assert requests is not None, "requests is missing"
    from knox.models import AuthToken

    from tests.factories import AssistantFactory, UserFactory

    users = [UserFactory() for _ in range(USERS)]
    assistants = [AssistantFactory(owner=u).pk for u in users]
    tokens = [AuthToken.objects.create(u)[1] for u in users]
    available = _operations_available()

    workers = 2 * (os.cpu_count() or 1) + 1
    unlimited = "100000000/min"
    with gunicorn(
        tmp_path, THROTTLE_ANON=unlimited, THROTTLE_USER=unlimited, THROTTLE_AUTH=unlimited
    ) as base:
        shared: dict = {
            "prompts": [],
            "listings": [],
            "owned": [],
            "chains": _make_chains(base, tokens, assistants) if available["chains"] else [],
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
