"""The harness comparing the bench's limit with the API: calls to each, the rows a scenario\nwrites, the API's writes rolled back, and the world both start from."""

import io
import json
import re

import orjson
import psycopg
from django.conf import settings
from django.db import connection, transaction
from knox.models import AuthToken
from rest_framework.test import APIClient

from bench.limit.app import LimitApp
from core.models import Assistant, WebhookEndpoint
from economy.models import PromptTokenListing, Wallet
from tests.factories import AssistantFactory, PromptFactory, UserFactory
from training.services import chain_create

TABLES = [
    "economy_wallet",
    "economy_ledgerentry",
    "economy_promptlicence",
    "economy_listingadoption",
    "economy_purchase",
    "core_event",
    "core_eventrecipient",
    "core_webhookdelivery",
    "economy_prompttokenlisting",
    "economy_promptreputationscore",
    "core_prompt",
    "training_swarmtrainingchain",
    "training_assistantreflectionchain",
    "knox_authtoken",
]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def limit_app() -> LimitApp:
    db = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
    )
    return LimitApp(
        dsn,
        count_cache_seconds=settings.API_COUNT_CACHE_SECONDS,
        count_cache_min_rows=settings.API_COUNT_CACHE_MIN_ROWS,
    )


def call_limit(app, method: str, path: str, body=None, token=None) -> tuple[int, object]:
    path, _, query = path.partition("?")
    raw = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(raw),
        "CONTENT_LENGTH": str(len(raw)),
        "CONTENT_TYPE": "application/json",
    }
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = token
    answer: dict = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])

    payload = b"".join(app(environ, start_response))
    return answer["status"], orjson.loads(payload)


def call_api(method: str, path: str, body=None, token=None) -> tuple[int, object]:
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=token)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def timestamps_masked(value):
    if isinstance(value, dict):
        return {k: timestamps_masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [timestamps_masked(v) for v in value]
    if isinstance(value, str) and TIMESTAMP.match(value):
        return "<timestamp>"
    return value


def rows() -> dict[str, list]:
    """Every row of the written tables, timestamps left out (they differ between the runs)."""
    out = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            order = "user_id" if table == "knox_authtoken" else "1"
            cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
            names = [c.name for c in cursor.description]
            # Timestamps differ between the runs, and so do the random tokens.
            skip = {"created", "expiry", "digest", "token_key"}
            keep = [i for i, n in enumerate(names) if not n.endswith("_at") and n not in skip]
            out[table] = [
                tuple(
                    json.dumps(r[i], sort_keys=True) if isinstance(r[i], dict | list) else r[i]
                    for i in keep
                )
                for r in cursor.fetchall()
            ]
    return out


class RolledBack(Exception):
    pass


def rolled_back(call) -> tuple:
    """The API's answer and rows, then its writes undone and the id sequences put back, so
    the limit starts from the same world and gives its new rows the same ids."""
    try:
        with transaction.atomic():
            status, answer = call()
            result = (status, timestamps_masked(answer), rows())
            raise RolledBack
    except RolledBack:
        pass
    with connection.cursor() as cursor:
        for table in TABLES:
            if table != "knox_authtoken":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",
                    [table],
                )
    return result


def world() -> dict:
    """Buyers (one rich, one poor, one of another user), a seller, paid / free / delisted
    listings, a prompt owned already, a chain with a completed twin."""
    buyer_user, seller_user, stranger = UserFactory(), UserFactory(), UserFactory()
    buyer = AssistantFactory(owner=buyer_user)
    poor = AssistantFactory(owner=buyer_user)
    Wallet.objects.filter(assistant=poor).update(balance_cents=0)
    seller = AssistantFactory(owner=seller_user)
    seller_twin = AssistantFactory(owner=seller_user)
    foreign = AssistantFactory(owner=stranger)

    def listing(cost: int, **kw) -> PromptTokenListing:
        prompt = PromptFactory(author=seller, title="t", body="b", tags=["myth"])
        return PromptTokenListing.objects.create(prompt=prompt, token_cost_cents=cost, **kw)

    paid, free, delisted, owned = listing(250), listing(0), listing(300), listing(150)
    PromptTokenListing.objects.filter(pk=delisted.pk).update(is_active=False)
    private = PromptFactory(author=foreign, title="t", body="b", is_public=False)
    to_rate = PromptFactory(author=seller, title="t", body="b")
    chain = chain_create(
        seed_assistant=buyer, chain_title="c", involved_assistant_ids=[buyer.pk, seller.pk]
    )
    seller_first = chain_create(
        seed_assistant=buyer, chain_title="s", involved_assistant_ids=[seller.pk, buyer.pk]
    )
    done = chain_create(
        seed_assistant=buyer, chain_title="d", involved_assistant_ids=[buyer.pk], max_steps=1
    )
    # Endpoints: the seller's takes every type, the buyer's only purchases, the stranger's is
    # off, a second seller endpoint only chain events: each event's deliveries must match.
    for owner, types, active in (
        (seller_user, [], True),
        (buyer_user, ["purchase.completed"], True),
        (stranger, [], False),
        (seller_user, ["chain.stepped", "chain.turn"], True),
    ):
        WebhookEndpoint.objects.create(
            owner=owner, url="https://hooks.example/x", secret="s", types=types, is_active=active
        )
    tokens = {}
    for name, user in (("buyer", buyer_user), ("seller", seller_user), ("stranger", stranger)):
        tokens[name] = "Token " + AuthToken.objects.create(user=user)[1]
    w = {
        "buyer": buyer.pk,
        "poor": poor.pk,
        "seller": seller.pk,
        "seller_twin": seller_twin.pk,
        "foreign": foreign.pk,
        "paid": paid.pk,
        "free": free.pk,
        "delisted": delisted.pk,
        "owned": owned.pk,
        "private": private.pk,
        "to_rate": to_rate.pk,
        "chain": chain.pk,
        "seller_first": seller_first.pk,
        "paid_prompt": paid.prompt_id,
        "done": done.pk,
        "tokens": tokens,
    }
    # Steps and purchases made beforehand through the API (the same in both runs).
    first = call_api(
        "POST", f"/api/v1/market/prompts/{owned.pk}/buy/", {"buyer": buyer.pk}, tokens["buyer"]
    )
    assert first[0] == 201, first
    step = {"reflection_notes": "n", "memory_snapshot": {}, "belief_delta": 0.25}
    assert call_api("POST", f"/api/v1/train/chains/{done.pk}/step/", step, tokens["buyer"])[0]
    rated = {"rater": buyer.pk, "ritual_effectiveness": 0.3, "assistant_approval": 0.9}
    assert call_api("POST", f"/api/v1/prompts/{to_rate.pk}/rate/", rated, tokens["buyer"])[0]
    assert Assistant.objects.count() == 5
    return w


def step_body(**extra):
    return {
        "reflection_notes": "a step",
        "memory_snapshot": {"k": [1, 2], "m": "x"},
        "belief_delta": -0.35,
        **extra,
    }
