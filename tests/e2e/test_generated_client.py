"""The Python client generated from openapi/schema.yaml drives a whole flow against a live server.

The client is generated afresh (openapi-python-client, as ``make clients`` does) into a temporary
folder and imported from there; every call goes over HTTP to the live server through the
generated functions and models: register, log in, create an assistant and a prompt, list it for
sale, buy it with a second user, rate it, create a training chain and step it.

Operations are looked up by operation id, so each step is one entry in ``FLOW``.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, VENV_BIN, require

pytestmark = pytest.mark.slow

SCHEMA = ROOT / "openapi" / "schema.yaml"
PACKAGE = "mythos_client"
PASSWORD = "a-long-and-unguessable-passphrase"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory) -> Any:
    generator = VENV_BIN / "openapi-python-client"
    require(generator.exists(), "openapi-python-client (dev requirements)")
    out = tmp_path_factory.mktemp("client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(SCHEMA),
            "--config",
            str(ROOT / "clients" / "openapi-python-client.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))


class Api:
    """The generated client's operations by operation id, with typed bodies built from dicts."""

    def __init__(self, package, base_url: str) -> None:
        self.package = package
        self.base_url = base_url
        api_dir = Path(package.__file__).parent / "api"
        self.modules = {
            path.stem: f"{PACKAGE}.api.{path.parent.name}.{path.stem}"
            for path in api_dir.glob("*/*.py")
            if path.stem != "__init__"
        }

    def has(self, operation_id: str) -> bool:
        return operation_id in self.modules

    def client(self, token: str | None = None):
        if token is None:
            return self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=token, prefix="Token", raise_on_unexpected_status=True
        )

    def call(
        self,
        operation_id: str,
        *,
        token: str | None = None,
        body: dict | None = None,
        expect: int = 200,
        **params,
    ):
        module = importlib.import_module(self.modules[operation_id])
        kwargs: dict[str, Any] = dict(params)
        if body is not None:
            hints = typing.get_type_hints(module.sync_detailed)
            body_type = hints["body"]
            if typing.get_origin(body_type) in (typing.Union, getattr(typing, "UnionType", ())):
                body_type = next(t for t in typing.get_args(body_type) if hasattr(t, "from_dict"))
            kwargs["body"] = body_type.from_dict(body)
        response = module.sync_detailed(client=self.client(token), **kwargs)
        assert response.status_code == expect, (
            operation_id,
            int(response.status_code),
            response.content[:500],
        )
        return response.parsed


@dataclass
class Flow:
    api: Api
    state: dict[str, Any] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def register_and_log_in(flow: Flow) -> None:
    for who in ("alice", "bob"):
        user = flow.api.call(
            "auth_register",
            body={"username": who, "password": PASSWORD, "email": f"{who}@example.com"},
            expect=201,
        )
        assert user.username == who
        token = flow.api.call("auth_login", body={"username": who, "password": PASSWORD})
        flow.state[f"{who}_token"] = token.token
        me = flow.api.call("auth_me", token=token.token)
        assert me.username == who


def create_assistants_and_prompt(flow: Flow) -> None:
    for who in ("alice", "bob"):
        assistant = flow.api.call(
            "assistants_create",
            token=flow.state[f"{who}_token"],
            body={"name": f"{who}-muse", "description": "Generated-client flow."},
            expect=201,
        )
        flow.state[f"{who}_assistant"] = assistant.id
    prompt = flow.api.call(
        "prompts_create",
        token=flow.state["alice_token"],
        body={
            "author": flow.state["alice_assistant"],
            "title": "Dawn invocation",
            "body": "Speak of the first light.",
            "tags": ["dawn", "myth"],
        },
        expect=201,
    )
    assert prompt.content_hash
    assert prompt.trust_score == 0.5
    flow.state["prompt"] = prompt.id
    page = flow.api.call("prompts_list", token=flow.state["bob_token"], search="Dawn")
    assert [p.id for p in page.results] == [prompt.id]


def list_for_sale(flow: Flow) -> None:
    listing = flow.api.call(
        "market_prompts_create",
        token=flow.state["alice_token"],
        body={"prompt": flow.state["prompt"], "token_cost": "12.50"},
        expect=201,
    )
    assert listing.token_cost == "12.50"
    flow.state["listing"] = listing.id
    hidden = flow.api.call(
        "prompts_retrieve", token=flow.state["bob_token"], id=flow.state["prompt"]
    )
    assert hidden.body is None  # for sale: no body without a licence


def buy_with_second_user(flow: Flow) -> None:
    flow.api.call(
        "market_prompts_buy",
        token=flow.state["bob_token"],
        body={"buyer": flow.state["bob_assistant"]},
        id=flow.state["listing"],
        expect=201,
    )
    bought = flow.api.call(
        "prompts_retrieve", token=flow.state["bob_token"], id=flow.state["prompt"]
    )
    assert bought.body == "Speak of the first light."
    if flow.api.has("assistants_wallet"):
        wallet = flow.api.call(
            "assistants_wallet", token=flow.state["bob_token"], id=flow.state["bob_assistant"]
        )
        assert wallet.balance == "87.50"


def rate(flow: Flow) -> None:
    entry = flow.api.call(
        "prompts_rate",
        token=flow.state["bob_token"],
        body={
            "rater": flow.state["bob_assistant"],
            "ritual_effectiveness": 0.9,
            "assistant_approval": 0.7,
            "user_rating_tags": ["clear"],
            "symbolic_tags": ["dawn"],
        },
        id=flow.state["prompt"],
        expect=201,
    )
    assert abs(entry.trust_score - 0.8) < 1e-9
    reputation = flow.api.call("prompts_reputation", id=flow.state["prompt"])
    assert reputation.rating_count == 1


def create_and_step_chain(flow: Flow) -> None:
    chain = flow.api.call(
        "train_chains_create",
        token=flow.state["alice_token"],
        body={
            "chain_title": "Dawn chain",
            "seed_assistant": flow.state["alice_assistant"],
            "involved_assistants": [flow.state["alice_assistant"], flow.state["bob_assistant"]],
            "max_steps": 4,
        },
        expect=201,
    )
    assert chain.current_step == 0
    step = flow.api.call(
        "train_chains_step",
        token=flow.state["alice_token"],
        body={
            "reflection_notes": "First light seen.",
            "memory_snapshot": {"mood": "bright"},
            "belief_delta": 0.25,
            "expected_step": 0,
        },
        id=chain.id,
        expect=201,
    )
    assert step is not None
    after = flow.api.call("train_chains_retrieve", id=chain.id)
    assert after.current_step == 1


def read_the_sellers_feed(flow: Flow) -> None:
    """The seller (alice) reads her events: the sale, typed by the generated client per type."""
    sale = flow.api.package.models.EventsListTypeItem("purchase.completed")
    page = flow.api.call("events_list", token=flow.state["alice_token"], type_=[sale])
    [event] = page.results
    assert type(event).__name__ == "PurchaseCompletedEvent"
    assert event.data.listing == flow.state["listing"]
    assert event.data.buyer == flow.state["bob_assistant"]
    assert event.data.price == "12.50"
    later = flow.api.call("events_list", token=flow.state["alice_token"], after=event.id)
    assert all(e.id > event.id for e in later.results)
    assert "PurchaseCompletedEvent" not in {type(e).__name__ for e in later.results}


# Each step names the operations it needs. Every step is required: an operation missing from the
# schema fails the test (a new step whose operations are still being built can be added to FLOW
# before it is added to REQUIRED).
FLOW: list[tuple[Callable[[Flow], None], tuple[str, ...]]] = [
    (register_and_log_in, ("auth_register", "auth_login", "auth_me")),
    (create_assistants_and_prompt, ("assistants_create", "prompts_create", "prompts_list")),
    (list_for_sale, ("market_prompts_create", "prompts_retrieve")),
    (buy_with_second_user, ("market_prompts_buy",)),
    (rate, ("prompts_rate", "prompts_reputation")),
    (create_and_step_chain, ("train_chains_create", "train_chains_step", "train_chains_retrieve")),
    (read_the_sellers_feed, ("events_list",)),
]
REQUIRED = {step.__name__ for step, _ in FLOW}


def test_generated_python_client_drives_the_whole_flow(client_package, live_server, capsys):
    flow = Flow(Api(client_package, live_server.url))
    for step, operations in FLOW:
        if not all(flow.api.has(op) for op in operations):
            flow.missing.append(step.__name__)
            continue
        step(flow)
        flow.ran.append(step.__name__)
    with capsys.disabled():
        print(f"\ngenerated-client flow: ran {flow.ran}; not in the schema yet: {flow.missing}")
    assert not REQUIRED & set(flow.missing), flow.missing
