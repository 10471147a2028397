"""The soak's load: one caller per thread, each a user with an assistant and a token, doing
mixed reads and writes over HTTP and counting what it saw."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter

from django.urls import NoReverseMatch, reverse

try:
    import requests
except ImportError:  # pragma: no cover - locust (dev lock) brings requests
    requests = None


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


def operations_available() -> dict[str, bool]:
    return {
        "market": route_exists("market-prompts-list") and route_exists("market-prompts-buy", pk=1),
        "rate": route_exists("prompts-rate", pk=1),
        "chains": route_exists("train-chains-list") and route_exists("train-chains-step", pk=1),
        "wallet": route_exists("assistants-wallet", pk=1),
    }


def make_chains(base: str, tokens: list[str], assistants: list[int]) -> list[tuple[int, int]]:
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
