"""The bench's limit (bench/limit_wsgi.py, plain WSGI + psycopg + orjson) answers and writes
exactly what the API does: for each request the same world is built twice from empty tables
(same ids), the API answers on one, the limit's WSGI callable on the other, and the JSON
answers and the rows of every table a scenario writes must be equal (timestamps aside, which
must only be present). PostgreSQL only: the limit's SQL is PostgreSQL's."""

import io
import json
import re
import threading
from io import StringIO

import orjson
import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from knox.models import AuthToken
from rest_framework.test import APIClient

from bench import limit_wsgi
from core.models import Assistant, WebhookEndpoint
from economy.models import PromptTokenListing, Wallet
from tests.factories import AssistantFactory, PromptFactory, UserFactory
from training.services import chain_create

pytestmark = pytest.mark.postgres
committed = pytest.mark.django_db(transaction=True)  # the limit reads through its own connection

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


def _limit_app() -> limit_wsgi.LimitApp:
    db = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
    )
    return limit_wsgi.LimitApp(
        dsn,
        count_cache_seconds=settings.API_COUNT_CACHE_SECONDS,
        count_cache_min_rows=settings.API_COUNT_CACHE_MIN_ROWS,
    )


@pytest.fixture
def limit():
    app = _limit_app()
    yield app
    if app.conn is not None:
        app.conn.close()


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


def _timestamps_masked(value):
    if isinstance(value, dict):
        return {k: _timestamps_masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_timestamps_masked(v) for v in value]
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
            result = (status, _timestamps_masked(answer), rows())
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


def _step(**extra):
    return {
        "reflection_notes": "a step",
        "memory_snapshot": {"k": [1, 2], "m": "x"},
        "belief_delta": -0.35,
        **extra,
    }


# (name, method, path template, body template, token name): templates name the world's keys.
CASES = [
    ("buy paid", "/api/v1/market/prompts/{paid}/buy/", {"buyer": "buyer"}, "buyer", 201),
    ("buy free", "/api/v1/market/prompts/{free}/buy/", {"buyer": "buyer"}, "buyer", 201),
    (
        "buy pinned",
        "/api/v1/market/prompts/{paid}/buy/",
        {"buyer": "buyer", "expected_price": "2.50", "expected_version": 1},
        "buyer",
        201,
    ),
    (
        "price_changed",
        "/api/v1/market/prompts/{paid}/buy/",
        {"buyer": "buyer", "expected_price": "2.49"},
        "buyer",
        409,
    ),
    (
        "version_changed",
        "/api/v1/market/prompts/{paid}/buy/",
        {"buyer": "buyer", "expected_price": "2.50", "expected_version": 2},
        "buyer",
        409,
    ),
    (
        "expected_price invalid",
        "/api/v1/market/prompts/{paid}/buy/",
        {"buyer": "buyer", "expected_price": "2.505"},
        "buyer",
        400,
    ),
    (
        "expected_version invalid",
        "/api/v1/market/prompts/{paid}/buy/",
        {"buyer": "buyer", "expected_version": 0},
        "buyer",
        400,
    ),
    ("insufficient_funds", "/api/v1/market/prompts/{paid}/buy/", {"buyer": "poor"}, "buyer", 409),
    ("already_owned", "/api/v1/market/prompts/{owned}/buy/", {"buyer": "buyer"}, "buyer", 409),
    (
        "listing_inactive",
        "/api/v1/market/prompts/{delisted}/buy/",
        {"buyer": "buyer"},
        "buyer",
        409,
    ),
    (
        "cannot_buy_own",
        "/api/v1/market/prompts/{paid}/buy/",
        {"buyer": "seller_twin"},
        "seller",
        400,
    ),
    (
        "not_your_assistant",
        "/api/v1/market/prompts/{paid}/buy/",
        {"buyer": "foreign"},
        "buyer",
        403,
    ),
    ("buyer missing", "/api/v1/market/prompts/{paid}/buy/", {}, "buyer", 400),
    ("buyer unknown", "/api/v1/market/prompts/{paid}/buy/", {"buyer": 999_999}, "buyer", 400),
    ("listing unknown", "/api/v1/market/prompts/999999/buy/", {"buyer": "buyer"}, "buyer", 404),
    ("buy anonymous", "/api/v1/market/prompts/{paid}/buy/", {"buyer": "buyer"}, None, 401),
    ("buy bad token", "/api/v1/market/prompts/{paid}/buy/", {"buyer": "buyer"}, "bad", 401),
    ("buy expired token", "/api/v1/market/prompts/{paid}/buy/", {"buyer": "buyer"}, "expired", 401),
    (
        "rate first",
        "/api/v1/prompts/{paid_prompt}/rate/",
        {
            "rater": "buyer",
            "ritual_effectiveness": 0.7,
            "assistant_approval": 0.2,
            "user_rating_tags": ["clear", "x", "clear"],
            "symbolic_tags": ["myth"],
        },
        "buyer",
        201,
    ),
    (
        "rate again",
        "/api/v1/prompts/{to_rate}/rate/",
        {"rater": "buyer", "ritual_effectiveness": 0.1, "assistant_approval": 0.8},
        "buyer",
        200,
    ),
    (
        "cannot_rate_own",
        "/api/v1/prompts/{to_rate}/rate/",
        {"rater": "seller_twin", "ritual_effectiveness": 0.1, "assistant_approval": 0.8},
        "seller",
        400,
    ),
    (
        "rate not_your_assistant",
        "/api/v1/prompts/{to_rate}/rate/",
        {"rater": "foreign", "ritual_effectiveness": 0.1, "assistant_approval": 0.8},
        "buyer",
        403,
    ),
    (
        "rate private",
        "/api/v1/prompts/{private}/rate/",
        {"rater": "buyer", "ritual_effectiveness": 0.1, "assistant_approval": 0.8},
        "buyer",
        404,
    ),
    ("rate anonymous", "/api/v1/prompts/{to_rate}/rate/", {"rater": "buyer"}, None, 401),
    ("step", "/api/v1/train/chains/{chain}/step/", _step(), "buyer", 201),
    ("step by seed owner", "/api/v1/train/chains/{seller_first}/step/", _step(), "buyer", 201),
    ("not_your_turn", "/api/v1/train/chains/{chain}/step/", _step(), "stranger", 403),
    ("chain_completed", "/api/v1/train/chains/{done}/step/", _step(), "buyer", 409),
    ("stale_step", "/api/v1/train/chains/{chain}/step/", _step(expected_step=5), "buyer", 409),
    ("chain unknown", "/api/v1/train/chains/999999/step/", _step(), "buyer", 404),
    ("step anonymous", "/api/v1/train/chains/{chain}/step/", _step(), None, 401),
]


def _request(w: dict, path: str, body: dict, token: str | None):
    path = path.format(**{k: v for k, v in w.items() if k != "tokens"})
    body = {k: (w[v] if isinstance(v, str) and v in w else v) for k, v in body.items()}
    if token == "bad":
        token = w["tokens"]["buyer"][:-4] + "abcd"
    elif token == "expired":
        AuthToken.objects.update(expiry="2000-01-01T00:00:00Z")
        token = w["tokens"]["buyer"]
    elif token is not None:
        token = w["tokens"][token]
    return path, body, token


@committed
@pytest.mark.parametrize(
    ("name", "path", "body", "token", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_the_limit_answers_and_writes_as_the_api(limit, name, path, body, token, expected):
    path, body, token = _request(world(), path, body, token)
    api = rolled_back(lambda: call_api("POST", path, body, token))
    status, answer = call_limit(limit, "POST", path, body, token)
    lim = (status, _timestamps_masked(answer), rows())
    assert api[0] == expected, api[1]
    assert lim[:2] == api[:2]
    assert lim[2] == api[2]


@committed
def test_the_limit_answers_the_market_page_and_reputation_as_the_api(limit):
    from bench.seed_scale import hot_ids, seed_scale

    seed_scale(size="tiny", stdout=StringIO())

    hot = hot_ids()["prompt"]
    for path in (
        "/api/v1/market/prompts/?ordering=-trust&page_size=50",
        "/api/v1/market/prompts/?ordering=-trust&page_size=7&page=3",
        f"/api/v1/prompts/{hot}/reputation/",
        "/api/v1/prompts/999999/reputation/",
    ):
        api = call_api("GET", path)
        lim = call_limit(limit, "GET", path)
        assert lim == api, path
    page = call_api("GET", "/api/v1/market/prompts/?ordering=-trust&page_size=50")[1]
    assert len(page["results"]) == 50
    assert page["next"]
    reputation = call_api("GET", f"/api/v1/prompts/{hot}/reputation/")[1]
    assert len(reputation["entries"]) == 50
    assert reputation["user_rating_tags"]


def test_the_limit_uses_the_domains_formulas_not_copies():
    from api import fields
    from core import events
    from economy import formulas as economy_formulas
    from training import formulas as training_formulas

    assert limit_wsgi.reputation_trust_score is economy_formulas.reputation_trust_score
    assert (
        limit_wsgi.codex_tension_population_stddev
        is training_formulas.codex_tension_population_stddev
    )
    assert limit_wsgi.settings is settings
    assert limit_wsgi.EVENT_ORDER_LOCK == events.EVENT_ORDER_LOCK
    assert limit_wsgi.EVENTS_CHANNEL == events.EVENTS_CHANNEL
    assert limit_wsgi.MAX_TOKENS_CENTS == fields.MAX_TOKENS_CENTS
    assert limit_wsgi.MONEY_RE.pattern == fields.MONEY_RE.pattern


@committed
def test_the_limit_rates_like_the_api_when_one_rater_rates_twice_at_once():
    """Both ratings wait on the prompt's lock with their snapshots taken; the second must see
    the first's entry (replace it: 200) as the API's fresh per-statement read does."""
    w = world()
    prompt, rater, token = w["paid_prompt"], w["buyer"], w["tokens"]["buyer"]
    body = {"rater": rater, "ritual_effectiveness": 0.5, "assistant_approval": 0.5}
    apps = [_limit_app(), _limit_app()]
    dsn = apps[0].dsn
    results: list = [None, None]
    with psycopg.connect(dsn) as locker:
        locker.execute("SELECT 1 FROM core_prompt WHERE id = %s FOR UPDATE", [prompt])

        def rate(i: int) -> None:
            try:
                results[i] = call_limit(
                    apps[i], "POST", f"/api/v1/prompts/{prompt}/rate/", body, token
                )
            except Exception as exc:  # surfaced by the assertion below
                results[i] = exc

        threads = [threading.Thread(target=rate, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        with psycopg.connect(dsn, autocommit=True) as watcher:
            waiting = 0
            for _ in range(600):
                waiting = watcher.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                ).fetchone()[0]
                if waiting >= 2:
                    break
                threading.Event().wait(0.05)
            assert waiting >= 2
        locker.rollback()  # let both go
        for t in threads:
            t.join(timeout=30)
    for app in apps:
        app.conn.close()
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(r[0] for r in results) == [200, 201], results
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM economy_promptreputationscore WHERE prompt_id = %s", [prompt]
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT rating_count FROM core_prompt WHERE id = %s", [prompt])
        assert cursor.fetchone()[0] == 1


@committed
def test_the_limits_writes_notify_each_event_as_core_events_does(limit):
    """The stream listeners hear of every event the limit writes (one NOTIFY per event id on
    core.events' channel, sent at commit), as they do of the API's."""
    from core.events import EVENTS_CHANNEL

    w = world()
    token = w["tokens"]["buyer"]
    with psycopg.connect(limit.dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {EVENTS_CHANNEL}")
        before = connection.cursor()
        before.execute("SELECT COALESCE(MAX(id), 0) FROM core_event")
        last = before.fetchone()[0]
        assert (
            call_limit(
                limit,
                "POST",
                f"/api/v1/market/prompts/{w['paid']}/buy/",
                {"buyer": w["buyer"]},
                token,
            )[0]
            == 201
        )
        assert (
            call_limit(limit, "POST", f"/api/v1/train/chains/{w['chain']}/step/", _step(), token)[0]
            == 201
        )
        heard = [int(n.payload) for n in listener.notifies(timeout=2, stop_after=3)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, type FROM core_event WHERE id > %s ORDER BY id", [last])
        written = cursor.fetchall()
    assert [t for _, t in written] == ["purchase.completed", "chain.stepped", "chain.turn"]
    assert heard == [i for i, _ in written]
