"""The bench's limit (bench/limit/, plain WSGI + psycopg + orjson) answers and writes
exactly what the API does: for each request the same world is built twice from empty tables
(same ids), the API answers on one, the limit's WSGI callable on the other, and the JSON
answers and the rows of every table a scenario writes must be equal (timestamps aside, which
must only be present). PostgreSQL only: the limit's SQL is PostgreSQL's."""

from io import StringIO

import pytest
from django.conf import settings
from knox.models import AuthToken

from bench.limit import constants, step, writes
from tests.perf.limit_harness import (
    call_api,
    call_limit,
    rolled_back,
    rows,
    step_body,
    timestamps_masked,
    world,
)

pytestmark = pytest.mark.postgres
committed = pytest.mark.django_db(transaction=True)  # the limit reads through its own connection


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
    ("step", "/api/v1/train/chains/{chain}/step/", step_body(), "buyer", 201),
    ("step by seed owner", "/api/v1/train/chains/{seller_first}/step/", step_body(), "buyer", 201),
    ("not_your_turn", "/api/v1/train/chains/{chain}/step/", step_body(), "stranger", 403),
    ("chain_completed", "/api/v1/train/chains/{done}/step/", step_body(), "buyer", 409),
    ("stale_step", "/api/v1/train/chains/{chain}/step/", step_body(expected_step=5), "buyer", 409),
    ("chain unknown", "/api/v1/train/chains/999999/step/", step_body(), "buyer", 404),
    ("step anonymous", "/api/v1/train/chains/{chain}/step/", step_body(), None, 401),
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
    lim = (status, timestamps_masked(answer), rows())
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

    assert writes.reputation_trust_score is economy_formulas.reputation_trust_score
    assert step.codex_tension_population_stddev is training_formulas.codex_tension_population_stddev
    assert writes.settings is settings
    assert constants.EVENT_ORDER_LOCK == events.EVENT_ORDER_LOCK
    assert constants.EVENTS_CHANNEL == events.EVENTS_CHANNEL
    assert constants.MAX_TOKENS_CENTS == fields.MAX_TOKENS_CENTS
    assert constants.MONEY_RE.pattern == fields.MONEY_RE.pattern
