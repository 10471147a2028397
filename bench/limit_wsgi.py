"""The limit: the bench's scenarios answered by a plain WSGI app (no Django, no DRF) with
psycopg 3 and orjson, served by the same gunicorn as the API in ``make bench``.

It answers the same JSON and writes the same rows as the API for:

- ``GET /api/v1/market/prompts/?ordering=-trust&page_size=50`` (anonymous; the same envelope,
  links, cached counts);
- ``GET /api/v1/prompts/{id}/reputation/`` (anonymous);
- ``POST /api/v1/market/prompts/{id}/buy/`` (``economy.services.listing_buy``);
- ``POST /api/v1/prompts/{id}/rate/`` (``economy.services.prompt_rate``);
- ``POST /api/v1/train/chains/{id}/step/`` (``training.services.chain_step`` without mutation),

with knox token authentication as knox does it (token_key prefix, digest compare, expiry),
the same refusals (status, error code, detail, attr) and as few round trips as it can: a
purchase and a rating are one statement each after the token look-up, their events included
(``core.events.event_emit``'s rows, order lock and NOTIFY, in ``events_sql``). Each write's SQL is one
named function (``purchase_sql``, ``rating_sql``, ``step_sql``): when the API's write changes,
change it there; ``tests/perf/test_limit_equivalence.py`` fails until both agree.

It is the floor the API is measured against, not an endpoint: no throttles, no
``Idempotency-Key``, no filters, reads as an anonymous caller, PostgreSQL only. Error codes and
messages come from the domain's exception classes, which import nothing from Django.

    gunicorn bench.limit_wsgi:application   # DATABASE_URL=postgres://...
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from hmac import compare_digest
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
import psycopg
from psycopg.types.json import Jsonb

from core import exceptions as domain
from economy import exceptions as economy_errors
from economy.formulas import reputation_trust_score
from economy.money import format_cents, to_cents
from training import exceptions as training_errors
from training.formulas import codex_tension_population_stddev

# The formulas and their constants are the domain's own: reading django.conf.settings loads the
# settings module once per process (no app registry, no ORM), so nothing is copied here.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
from django.conf import settings

TAG_HISTOGRAM_LIMIT = 100
REPUTATION_ENTRIES_INLINE = 50
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
TOKEN_KEY_LENGTH = 15
MAX_TAGS, MAX_TAG_LENGTH = 20, 50
MAX_NOTES = 20_000
MEMORY_SNAPSHOT_MAX_BYTES = 64 * 1024
MONEY_RE = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?", re.ASCII)  # api.fields.MoneyField's
MAX_TOKENS_CENTS = 10**14
# core.events' order lock and NOTIFY channel (that module needs the app registry; the
# equivalence test checks these are its values).
EVENT_ORDER_LOCK = 0x6D797468
EVENTS_CHANNEL = "mythos_events"

JSON = [("Content-Type", "application/json")]
Response = tuple[int, Any, list[tuple[str, str]]]
STATUS = {
    200: "200 OK",
    201: "201 Created",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    409: "409 Conflict",
}


class Refused(Exception):
    """An answer in the API's one error shape."""

    def __init__(self, status: int, code: str, detail: str, attr: str | None = None, **kw):
        super().__init__(detail)
        kind = "validation_error" if status == 400 else "client_error"
        self.response: Response = (
            status,
            {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]},
            kw.get("headers", []),
        )


def domain_refusal(exc: type[domain.DomainError], field: str | None = None, detail=None):
    status = 400
    if issubclass(exc, domain.Forbidden):
        status = 403
    elif issubclass(exc, domain.Conflict):
        status = 409
    return Refused(status, exc.code, detail or exc.message, field)


def not_found() -> Refused:
    return Refused(404, "not_found", "Not found.")


def not_authenticated() -> Refused:
    return Refused(
        401,
        "not_authenticated",
        "Authentication credentials were not provided.",
        headers=[("WWW-Authenticate", "Token")],
    )


def auth_failed(detail: str = "Invalid token.") -> Refused:
    return Refused(401, "authentication_failed", detail, headers=[("WWW-Authenticate", "Token")])


def not_your_assistant(pk: int) -> Refused:
    return Refused(403, "not_your_assistant", f"You do not own assistant {pk}.")


# --- SQL: one function per request kind -----------------------------------------------------


def market_page_sql(order: str, with_counts: bool) -> str:
    """The anonymous market page: active listings of public prompts; the total and the number
    of assistants ride along as scalar subqueries unless both are cached."""
    counts = (
        """, (SELECT COUNT(*) FROM economy_prompttokenlisting l2
               JOIN core_prompt p2 ON p2.id = l2.prompt_id WHERE l2.is_active AND p2.is_public),
             (SELECT COUNT(*) FROM core_assistant)"""
        if with_counts
        else ""
    )
    return f"""
SELECT l.id, p.id, p.title, p.author_id, p.tags, p.trust_score, p.rating_count,
       CASE WHEN l.token_cost_cents > 0 THEN NULL ELSE p.body END,
       l.token_cost_cents, l.symbolic_tag_weight, l.codex_usage_score, l.adopter_count,
       l.is_active, l.listed_at, l.delisted_at{counts}
  FROM economy_prompttokenlisting l
  JOIN core_prompt p ON p.id = l.prompt_id
 WHERE l.is_active AND p.is_public
 ORDER BY {order}
 LIMIT %s OFFSET %s"""


def _histogram(field: str) -> str:
    return f"""(SELECT json_object_agg(tag, n ORDER BY n DESC, tag) FROM (
         SELECT t.tag, COUNT(*) AS n FROM economy_promptreputationscore s
          CROSS JOIN LATERAL jsonb_array_elements_text(s.{field}) AS t(tag)
          WHERE s.prompt_id = p.id GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag
          LIMIT {TAG_HISTOGRAM_LIMIT}) h)"""


def reputation_sql() -> str:
    """A public prompt's aggregate, means, tag histograms and newest entries in one row (the
    entries as parallel arrays, so timestamps and floats arrive as Python values)."""
    return f"""
SELECT p.id, p.trust_score, p.rating_count, m.re, m.aa, m.ts,
       {_histogram("user_rating_tags")}, {_histogram("symbolic_tags")},
       e.ids, e.raters, e.res, e.aas, e.urts, e.sts, e.tss, e.created
  FROM core_prompt p
  LEFT JOIN LATERAL (
       SELECT AVG(ritual_effectiveness) AS re, AVG(assistant_approval) AS aa,
              AVG(trust_score) AS ts
         FROM economy_promptreputationscore WHERE prompt_id = p.id) m ON TRUE
  LEFT JOIN LATERAL (
       SELECT array_agg(x.id ORDER BY x.id DESC) AS ids,
              array_agg(x.rater_id ORDER BY x.id DESC) AS raters,
              array_agg(x.ritual_effectiveness ORDER BY x.id DESC) AS res,
              array_agg(x.assistant_approval ORDER BY x.id DESC) AS aas,
              array_agg(x.user_rating_tags ORDER BY x.id DESC) AS urts,
              array_agg(x.symbolic_tags ORDER BY x.id DESC) AS sts,
              array_agg(x.trust_score ORDER BY x.id DESC) AS tss,
              array_agg(x.created_at ORDER BY x.id DESC) AS created
         FROM (SELECT * FROM economy_promptreputationscore WHERE prompt_id = p.id
                ORDER BY id DESC LIMIT {REPUTATION_ENTRIES_INLINE}) x) e ON TRUE
 WHERE p.id = %s AND p.is_public"""


def token_sql() -> str:
    return """
SELECT t.digest, t.expiry, u.id, u.is_active, u.is_staff
  FROM knox_authtoken t JOIN auth_user u ON u.id = t.user_id
 WHERE t.token_key = %s"""


def events_sql(source: str) -> str:
    """``core.events.event_emit`` for the rows of CTE ``source`` (``ord, type, data, users``),
    as CTEs to append: the order lock (``pg_advisory_xact_lock``, held to commit) taken only
    when there is an event and only after the change's own writes, the events in ``ord`` order,
    their recipients (distinct users, ascending), a pending delivery per active endpoint of a
    recipient whose filter matches, and a NOTIFY per event. The caller selects ``ev_notified``
    so the NOTIFY runs. The delivery job is not enqueued (housekeeping re-enqueues a pending
    delivery whose job was lost)."""
    return f"""
ev_src AS MATERIALIZED (
    SELECT s.ord, s.type, s.data,
           ARRAY(SELECT DISTINCT u FROM unnest(s.users) AS u WHERE u IS NOT NULL ORDER BY u)
             AS users
      FROM {source} s),
ev_lock AS MATERIALIZED (
    SELECT pg_advisory_xact_lock(%(event_lock)s) FROM (SELECT 1 FROM ev_src LIMIT 1) x),
ev AS (
    INSERT INTO core_event (type, created_at, data)
    SELECT s.type, now(), s.data FROM ev_src s, ev_lock ORDER BY s.ord
    RETURNING id, type),
ev_to AS (
    INSERT INTO core_eventrecipient (event_id, user_id)
    SELECT ev.id, u FROM ev JOIN ev_src s ON s.type = ev.type CROSS JOIN unnest(s.users) AS u
     ORDER BY ev.id, u
    RETURNING id),
ev_hooks AS (
    INSERT INTO core_webhookdelivery
           (event_id, endpoint_id, status, attempts, next_attempt_at, claimed_until,
            created_at, updated_at)
    SELECT ev.id, e.id, 'pending', 0, now(), NULL, now(), now()
      FROM ev JOIN ev_src s ON s.type = ev.type
      JOIN core_webhookendpoint e ON e.owner_id = ANY (s.users) AND e.is_active
       AND (e.types = '[]'::jsonb OR e.types ? s.type)
     ORDER BY ev.id, e.id
    RETURNING id),
ev_notified AS MATERIALIZED (
    SELECT COUNT(pg_notify(%(event_channel)s, ev.id::text)) AS n,
           (SELECT COUNT(*) FROM ev_to) AS recipients, (SELECT COUNT(*) FROM ev_hooks) AS hooks
      FROM ev)"""


def purchase_sql() -> str:
    """``listing_buy`` in one statement: lock the visible listing, check buyer, activity,
    ownership and the pinned price and version (the newest), lock both wallets in id order
    (paid listings), and only when the buyer can pay write the licence (a new one, or the
    buyer's refunded one revived; otherwise already owned), debit and credit (each returning
    its balance), the ledger entry, the purchase, the adoption and the adopter count, and the
    ``purchase.completed`` event. The last SELECT tells which refusal applies."""
    return (
        """
WITH l AS MATERIALIZED (
    SELECT l.id, l.prompt_id, l.is_active, l.token_cost_cents, a.id AS seller_id,
           a.owner_id AS seller_owner
      FROM economy_prompttokenlisting l
      JOIN core_prompt p ON p.id = l.prompt_id
      JOIN core_assistant a ON a.id = p.author_id
     WHERE l.id = %(listing)s AND (p.is_public OR a.owner_id = %(user)s OR %(staff)s)
       FOR UPDATE OF l),
b AS MATERIALIZED (SELECT id, owner_id FROM core_assistant WHERE id = %(buyer)s),
v AS MATERIALIZED (
    SELECT id, number, content_hash FROM core_promptversion
     WHERE prompt_id = (SELECT prompt_id FROM l) ORDER BY number DESC LIMIT 1),
ok AS MATERIALIZED (
    SELECT l.*, v.id AS version_id FROM l, b, v
     WHERE (b.owner_id = %(user)s OR %(staff)s) AND l.is_active AND b.owner_id <> l.seller_owner
       AND (%(expected_price)s::bigint IS NULL OR l.token_cost_cents = %(expected_price)s)
       AND (%(expected_version)s::integer IS NULL OR v.number = %(expected_version)s)),
w AS MATERIALIZED (
    SELECT w.id, w.assistant_id, w.balance_cents FROM economy_wallet w
     WHERE w.assistant_id IN (%(buyer)s, (SELECT seller_id FROM ok))
       AND EXISTS (SELECT 1 FROM ok WHERE token_cost_cents > 0)
     ORDER BY w.id FOR UPDATE),
go AS MATERIALIZED (
    SELECT ok.* FROM ok
     WHERE ok.token_cost_cents = 0
        OR (SELECT balance_cents FROM w WHERE assistant_id = %(buyer)s) >= ok.token_cost_cents),
lic AS MATERIALIZED (
    INSERT INTO economy_promptlicence
           (assistant_id, prompt_id, version_id, source, state, created_at)
    SELECT %(buyer)s, prompt_id, version_id, 'purchase', 'active', now() FROM go
    ON CONFLICT (assistant_id, prompt_id) DO UPDATE
       SET state = 'active', version_id = EXCLUDED.version_id, source = 'purchase'
     WHERE economy_promptlicence.state = 'refunded'
    RETURNING id),
paid AS MATERIALIZED (SELECT go.* FROM go WHERE go.token_cost_cents > 0 AND EXISTS (SELECT 1 FROM lic)),
debit AS MATERIALIZED (
    UPDATE economy_wallet SET balance_cents = balance_cents - (SELECT token_cost_cents FROM paid)
     WHERE id = (SELECT id FROM w WHERE assistant_id = %(buyer)s) AND EXISTS (SELECT 1 FROM paid)
    RETURNING balance_cents),
credit AS (
    UPDATE economy_wallet SET balance_cents = balance_cents + (SELECT token_cost_cents FROM paid)
     WHERE id = (SELECT w.id FROM w, paid WHERE w.assistant_id = paid.seller_id)
    RETURNING id),
entry AS MATERIALIZED (
    INSERT INTO economy_ledgerentry (kind, payer_id, payee_id, amount_cents, reference, created_at)
    SELECT 'prompt_purchase', bw.id, sw.id, paid.token_cost_cents, 'listing:' || paid.id, now()
      FROM paid
      JOIN w bw ON bw.assistant_id = %(buyer)s
      JOIN w sw ON sw.assistant_id = paid.seller_id
    RETURNING id),
purchase AS MATERIALIZED (
    INSERT INTO economy_purchase
           (buyer_id, seller_id, listing_id, prompt_id, version_id, price_cents, ledger_entry_id,
            licence_id, state, created_at, refunded_at, refund_entry_id, refund_reason)
    SELECT %(buyer)s, go.seller_id, go.id, go.prompt_id, go.version_id, go.token_cost_cents,
           (SELECT id FROM entry), lic.id, 'completed', now(), NULL, NULL, ''
      FROM go, lic
     WHERE go.token_cost_cents = 0 OR EXISTS (SELECT 1 FROM entry)
    RETURNING id, created_at),
adoption AS (
    INSERT INTO economy_listingadoption (listing_id, assistant_id, kind, created_at)
    SELECT %(listing)s, %(buyer)s, 'purchase', now() FROM purchase
    RETURNING id),
adopters AS (
    UPDATE economy_prompttokenlisting SET adopter_count = adopter_count + 1
     WHERE id = %(listing)s AND EXISTS (SELECT 1 FROM adoption)
    RETURNING id),
sale AS MATERIALIZED (
    SELECT 1 AS ord, 'purchase.completed'::varchar AS type,
           jsonb_build_object(
               'purchase', purchase.id, 'listing', go.id, 'prompt', go.prompt_id,
               'buyer', %(buyer)s::bigint, 'seller', go.seller_id, 'licence', lic.id,
               'price', round(go.token_cost_cents::numeric / 100, 2)::text) AS data,
           ARRAY[(SELECT owner_id FROM b), go.seller_owner] AS users
      FROM purchase, go, lic),"""
        + events_sql("sale")
        + """
SELECT (SELECT COUNT(*) FROM l), (SELECT is_active FROM l), (SELECT seller_owner FROM l),
       (SELECT prompt_id FROM l), (SELECT token_cost_cents FROM l),
       (SELECT owner_id FROM b), (SELECT COUNT(*) FROM go), (SELECT id FROM lic),
       (SELECT id FROM entry), (SELECT balance_cents FROM debit),
       (SELECT balance_cents FROM economy_wallet WHERE assistant_id = %(buyer)s),
       EXISTS (SELECT 1 FROM economy_promptlicence
                WHERE assistant_id = %(buyer)s AND prompt_id = (SELECT prompt_id FROM l)
                  AND state = 'active'),
       (SELECT COUNT(*) FROM credit), (SELECT COUNT(*) FROM adopters),
       (SELECT number FROM v), (SELECT content_hash FROM v), (SELECT seller_id FROM l),
       (SELECT id FROM purchase), (SELECT created_at FROM purchase),
       (SELECT n FROM ev_notified)"""
    )


def rating_sql() -> str:
    """``prompt_rate`` in one statement: lock the visible prompt, check the rater, replace the
    rater's previous entry (deleted first, so the new one is the newest), move the prompt's
    aggregate by the difference with the Bayesian average computed as the API's UPDATE does,
    and write the ``prompt.rated`` event to the author's owner."""
    return (
        """
WITH p AS MATERIALIZED (
    SELECT p.id, a.owner_id FROM core_prompt p JOIN core_assistant a ON a.id = p.author_id
     WHERE p.id = %(prompt)s AND (p.is_public OR a.owner_id = %(user)s OR %(staff)s)
       FOR UPDATE OF p),
r AS MATERIALIZED (SELECT id, owner_id FROM core_assistant WHERE id = %(rater)s),
ok AS MATERIALIZED (
    SELECT p.id, p.owner_id FROM p, r
     WHERE (r.owner_id = %(user)s OR %(staff)s) AND r.owner_id <> p.owner_id),
previous AS MATERIALIZED (
    DELETE FROM economy_promptreputationscore
     WHERE prompt_id = (SELECT id FROM ok) AND rater_id = %(rater)s
    RETURNING trust_score),
entry AS MATERIALIZED (
    INSERT INTO economy_promptreputationscore
           (prompt_id, rater_id, ritual_effectiveness, assistant_approval, user_rating_tags,
            symbolic_tags, trust_score, created_at)
    SELECT id, %(rater)s, %(re)s, %(aa)s, %(urt)s, %(st)s, %(score)s, now() FROM ok
     WHERE (SELECT COUNT(*) FROM previous) >= 0
    RETURNING id, created_at),
delta AS MATERIALIZED (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM previous)
                THEN %(score)s - (SELECT trust_score FROM previous) ELSE %(score)s END AS s,
           CASE WHEN EXISTS (SELECT 1 FROM previous) THEN 0 ELSE 1 END AS n
      FROM entry),
aggregate AS MATERIALIZED (
    UPDATE core_prompt
       SET rating_sum = rating_sum + (SELECT s FROM delta),
           rating_count = rating_count + (SELECT n FROM delta),
           trust_score = (%(prior)s + (rating_sum + (SELECT s FROM delta)))
                         / (%(weight)s + (rating_count + (SELECT n FROM delta)))
     WHERE id = (SELECT id FROM ok) AND EXISTS (SELECT 1 FROM delta)
    RETURNING id),
rated AS MATERIALIZED (
    SELECT 1 AS ord, 'prompt.rated'::varchar AS type,
           %(event_data)s::jsonb
             || jsonb_build_object('rating', entry.id, 'replaced', delta.n = 0) AS data,
           ARRAY[ok.owner_id] AS users
      FROM ok, entry, delta, aggregate),"""
        + events_sql("rated")
        + """
SELECT (SELECT COUNT(*) FROM p), (SELECT owner_id FROM p), (SELECT owner_id FROM r),
       (SELECT id FROM entry), (SELECT created_at FROM entry), (SELECT n FROM delta),
       (SELECT COUNT(*) FROM aggregate), (SELECT n FROM ev_notified)"""
    )


def step_lock_sql() -> str:
    """The chain row locked (its latest version), with its participants in turn order."""
    return """
SELECT c.id, c.chain_title, c.seed_assistant_id, s.owner_id, c.max_steps, c.current_step,
       c.belief_delta_tracker, c.status, c.created_at,
       ARRAY(SELECT cp.assistant_id FROM training_chainparticipant cp
              WHERE cp.chain_id = c.id ORDER BY cp.position),
       ARRAY(SELECT a.owner_id FROM training_chainparticipant cp
               JOIN core_assistant a ON a.id = cp.assistant_id
              WHERE cp.chain_id = c.id ORDER BY cp.position)
  FROM training_swarmtrainingchain c JOIN core_assistant s ON s.id = c.seed_assistant_id
 WHERE c.id = %s
   FOR UPDATE OF c"""


def step_sql() -> str:
    """``chain_step`` without a mutation, after the lock: the reflection row, the chain's
    tracker, tension, step, status and ``updated_at``, and its events (``chain.stepped`` to the
    involved assistants' owners, then ``chain.completed`` to them or ``chain.turn`` to the
    next turn's owner) in one statement."""
    return (
        """
WITH r AS MATERIALIZED (
    INSERT INTO training_assistantreflectionchain
           (chain_id, step, assistant_id, reflection_notes, memory_snapshot, belief_delta,
            mutation_id, created_at)
    VALUES (%(chain)s, %(step)s, %(turn)s, %(notes)s, %(snapshot)s, %(delta)s, NULL, now())
    RETURNING id, created_at),
c AS MATERIALIZED (
    UPDATE training_swarmtrainingchain
       SET belief_delta_tracker = %(tracker)s, codex_tension = %(tension)s,
           current_step = %(step)s + 1, status = %(status)s, updated_at = now()
     WHERE id = %(chain)s
    RETURNING updated_at),
happened AS MATERIALIZED (
    SELECT 1 AS ord, 'chain.stepped'::varchar AS type,
           %(stepped)s::jsonb || jsonb_build_object('reflection', r.id) AS data,
           %(owners)s::integer[] AS users
      FROM r, c
    UNION ALL
    SELECT 2, %(next_type)s::varchar, %(next_data)s::jsonb, %(next_users)s::integer[]
      FROM r, c),"""
        + events_sql("happened")
        + """
SELECT (SELECT id FROM r), (SELECT created_at FROM r), (SELECT updated_at FROM c),
       (SELECT n FROM ev_notified)"""
    )


# --- Input ------------------------------------------------------------------------------------


def _pk(body: dict, field: str) -> int:
    if field not in body:
        raise Refused(400, "required", "This field is required.", field)
    value = body[field]
    if isinstance(value, bool) or not isinstance(value, int | str):
        name = type(value).__name__
        raise Refused(
            400, "incorrect_type", f"Incorrect type. Expected pk value, received {name}.", field
        )
    try:
        return int(value)
    except ValueError:
        raise Refused(
            400, "incorrect_type", "Incorrect type. Expected pk value, received str.", field
        ) from None


def _number(body: dict, field: str, low: float, high: float) -> float:
    if field not in body:
        raise Refused(400, "required", "This field is required.", field)
    value = body[field]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Refused(400, "invalid", "A valid number is required.", field)
    if not low <= value <= high:
        raise Refused(400, "max_value" if value > high else "min_value", "Out of range.", field)
    return float(value)


def _money(body: dict, field: str) -> int | None:
    """``api.fields.MoneyField`` (optional): a plain decimal string or number, ≥ 0, ≤ 2 places."""
    if field not in body:
        return None
    value = body[field]
    invalid = 'Enter an amount with at most 2 decimal places, e.g. "10.00".'
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Refused(400, "invalid", invalid, field)
    text = str(value)
    if text.startswith("-") and MONEY_RE.fullmatch(text[1:]) and text[1:].strip("0.") != "":
        raise Refused(400, "negative", "The amount must not be negative.", field)
    if not MONEY_RE.fullmatch(text):
        raise Refused(400, "invalid", invalid, field)
    cents = to_cents(text)
    if cents > MAX_TOKENS_CENTS:
        raise Refused(400, "too_large", "The amount is too large.", field)
    return cents


def _version(body: dict, field: str) -> int | None:
    """DRF's IntegerField(min_value=1, max_value=2**31 - 1), optional."""
    if field not in body:
        return None
    value = body[field]
    numeric_text = isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)
    if numeric_text or (isinstance(value, float) and value.is_integer()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(400, "invalid", "A valid integer is required.", field)
    if value < 1:
        raise Refused(400, "min_value", "Ensure this value is greater than or equal to 1.", field)
    if value > 2**31 - 1:
        raise Refused(
            400, "max_value", f"Ensure this value is less than or equal to {2**31 - 1}.", field
        )
    return value


def _tags(body: dict, field: str) -> list[str]:
    raw = body.get(field, [])
    if not isinstance(raw, list) or len(raw) > MAX_TAGS:
        raise Refused(400, "invalid", "Not a valid list of tags.", field)
    tags = []
    for tag in raw:
        if not isinstance(tag, str | int | float) or isinstance(tag, bool):
            raise Refused(400, "invalid", "Not a valid string.", field)
        text = str(tag).strip()
        if not text or len(text) > MAX_TAG_LENGTH:
            raise Refused(400, "invalid", "Not a valid tag.", field)
        tags.append(text)
    return list(dict.fromkeys(tags))


# --- The app ----------------------------------------------------------------------------------


class LimitApp:
    """The WSGI callable. One connection per process (gunicorn sync workers serve one request
    at a time), opened on the first request, in autocommit: a one-statement write commits with
    its statement."""

    def __init__(
        self,
        dsn: str | None = None,
        *,
        count_cache_seconds: int | None = None,
        count_cache_min_rows: int | None = None,
    ):
        self.dsn = dsn
        self.count_ttl = (
            count_cache_seconds
            if count_cache_seconds is not None
            else int(os.environ.get("API_COUNT_CACHE_SECONDS", "10") or 0)
        )
        self.count_min_rows = (
            count_cache_min_rows
            if count_cache_min_rows is not None
            else int(os.environ.get("API_COUNT_CACHE_MIN_ROWS", "1000") or 0)
        )
        self.conn: psycopg.Connection | None = None
        # The API keeps large counts for a few seconds in its cache; so does the limit, here.
        self.counts: tuple[float, int, int] | None = None
        self.routes: list[tuple[str, re.Pattern, Callable[..., Response]]] = [
            ("GET", re.compile(r"/api/v1/market/prompts/"), self.market_list),
            ("GET", re.compile(r"/api/v1/prompts/(\d+)/reputation/"), self.reputation),
            ("POST", re.compile(r"/api/v1/market/prompts/(\d+)/buy/"), self.buy),
            ("POST", re.compile(r"/api/v1/prompts/(\d+)/rate/"), self.rate),
            ("POST", re.compile(r"/api/v1/train/chains/(\d+)/step/"), self.step),
            ("GET", re.compile(r"/healthz"), lambda env: (200, {"status": "ok"}, [])),
        ]

    def db(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            dsn = self.dsn or os.environ["DATABASE_URL"]
            self.conn = psycopg.connect(dsn, autocommit=True, options="-c TimeZone=UTC")
        return self.conn

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        try:
            status, body, headers = self.dispatch(environ)
        except Refused as refused:
            status, body, headers = refused.response
        except psycopg.OperationalError:
            if self.conn is not None:
                self.conn.close()  # reconnect on the next request
            raise
        payload = orjson.dumps(body, option=orjson.OPT_UTC_Z)
        start_response(STATUS[status], [*JSON, *headers, ("Content-Length", str(len(payload)))])
        return [payload]

    def dispatch(self, environ: dict) -> Response:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        for route_method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if match:
                if method != route_method:
                    raise Refused(405, "method_not_allowed", f'Method "{method}" not allowed.')
                return handler(environ, *(int(g) for g in match.groups()))
        raise Refused(404, "not_found", "Not found.")

    # -- helpers --

    @staticmethod
    def _base_url(environ: dict) -> str:
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    @staticmethod
    def _body(environ: dict) -> dict:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            raise Refused(400, "parse_error", "JSON parse error.") from None
        if not isinstance(body, dict):
            raise Refused(
                400, "invalid", "Invalid data. Expected a dictionary.", "non_field_errors"
            )
        return body

    def user(self, environ: dict) -> tuple[int, bool]:
        """knox's TokenAuthentication: ``Token <token>``; rows by the token's first 15
        characters; an expired row is deleted and skipped; the SHA-512 digest compared in
        constant time; an inactive user refused. No credentials: 401 for a write."""
        parts = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1").split()
        if not parts or parts[0].lower() != b"token":
            raise not_authenticated()
        if len(parts) == 1:
            raise auth_failed("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise auth_failed("Invalid token header. Token string should not contain spaces.")
        token = parts[1].decode("utf-8")
        conn = self.db()
        now = datetime.now(UTC)
        for digest, expiry, user_id, is_active, is_staff in conn.execute(
            token_sql(), [token[:TOKEN_KEY_LENGTH]]
        ).fetchall():
            if expiry is not None and expiry < now:
                conn.execute("DELETE FROM knox_authtoken WHERE digest = %s", [digest])
                continue
            if compare_digest(hashlib.sha512(token.encode("utf-8")).hexdigest(), digest):
                if not is_active:
                    raise auth_failed("User inactive or deleted.")
                return user_id, is_staff
        raise auth_failed()

    # -- reads --

    def market_list(self, environ: dict) -> Response:
        params = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        query = dict(params)
        try:
            size = int(query.get("page_size") or DEFAULT_PAGE_SIZE)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise Refused(
                400, "invalid", f"Must be an integer from 1 to {MAX_PAGE_SIZE}.", "page_size"
            )
        try:
            page = int(query.get("page") or 1)
        except ValueError:
            page = 0
        if page < 1:
            raise Refused(404, "not_found", "Invalid page.")
        order = {"-trust": "p.trust_score DESC, l.id DESC", "trust": "p.trust_score, l.id DESC"}
        order_sql = order.get(query.get("ordering", ""), "l.id DESC")
        cached = self.counts if self.counts and self.counts[0] > time.monotonic() else None
        rows = (
            self.db()
            .execute(market_page_sql(order_sql, cached is None), [size, (page - 1) * size])
            .fetchall()
        )
        if cached is not None:
            count, assistants = cached[1], cached[2]
        elif rows:
            count, assistants = rows[0][15], rows[0][16]
            if self.count_ttl and min(count, assistants) >= self.count_min_rows:
                self.counts = (time.monotonic() + self.count_ttl, count, assistants)
        else:
            count, assistants = 0, 0
        if page > 1 and not rows:
            raise Refused(404, "not_found", "Invalid page.")
        results = [
            {
                "id": r[0],
                "prompt": {
                    "id": r[1],
                    "title": r[2],
                    "author": r[3],
                    "tags": r[4],
                    "trust_score": r[5],
                    "rating_count": r[6],
                    "body": r[7],
                },
                "seller": r[3],
                "token_cost": format_cents(r[8]),
                "symbolic_tag_weight": r[9],
                "codex_usage_score": r[10],
                "swarm_adoption_score": min(1.0, r[11] / assistants) if assistants > 0 else 0.0,
                "adopter_count": r[11],
                "is_active": r[12],
                "listed_at": r[13],
                "delisted_at": r[14],
            }
            for r in rows
        ]
        base = self._base_url(environ) + environ["PATH_INFO"]

        def link(number: int) -> str:
            kept = [(k, v) for k, v in query.items() if k != "page"]
            if number > 1:
                kept.append(("page", str(number)))
            return base + "?" + urlencode(sorted(kept), doseq=True)

        pages = max(1, -(-count // size))
        body = {
            "count": count,
            "next": link(page + 1) if page < pages else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": results,
        }
        return 200, body, []

    def reputation(self, environ: dict, prompt_id: int) -> Response:
        row = self.db().execute(reputation_sql(), [prompt_id]).fetchone()
        if row is None:
            raise not_found()
        (pk, trust, count, re_, aa, ts, user_tags, symbolic_tags, *entries) = row
        ids, raters, res, aas, urts, sts, tss, created = entries
        body = {
            "prompt": pk,
            "trust_score": trust,
            "rating_count": count,
            "means": {"ritual_effectiveness": re_, "assistant_approval": aa, "trust_score": ts},
            "user_rating_tags": user_tags or {},
            "symbolic_tags": symbolic_tags or {},
            "entries": [
                {
                    "id": ids[i],
                    "prompt": pk,
                    "rater": raters[i],
                    "ritual_effectiveness": res[i],
                    "assistant_approval": aas[i],
                    "user_rating_tags": urts[i],
                    "symbolic_tags": sts[i],
                    "trust_score": tss[i],
                    "created_at": created[i],
                }
                for i in range(len(ids or ()))
            ],
            "entries_limit": REPUTATION_ENTRIES_INLINE,
            "ratings_url": f"{self._base_url(environ)}/api/v1/prompts/{pk}/ratings/",
        }
        return 200, body, []

    # -- writes --

    def _listing_visible(self, listing_id: int, user_id: int, staff: bool) -> None:
        """The 404 before body validation (only on a malformed request)."""
        found = (
            self.db()
            .execute(
                "SELECT 1 FROM economy_prompttokenlisting l JOIN core_prompt p ON p.id = l.prompt_id"
                " JOIN core_assistant a ON a.id = p.author_id"
                " WHERE l.id = %s AND (p.is_public OR a.owner_id = %s OR %s)",
                [listing_id, user_id, staff],
            )
            .fetchone()
        )
        if found is None:
            raise not_found()

    def buy(self, environ: dict, listing_id: int) -> Response:
        user_id, staff = self.user(environ)
        try:
            body = self._body(environ)
            buyer = _pk(body, "buyer")
            expected_price = _money(body, "expected_price")
            expected_version = _version(body, "expected_version")
        except Refused:
            self._listing_visible(listing_id, user_id, staff)
            raise
        row = (
            self.db()
            .execute(
                purchase_sql(),
                {
                    "listing": listing_id,
                    "buyer": buyer,
                    "user": user_id,
                    "staff": staff,
                    "expected_price": expected_price,
                    "expected_version": expected_version,
                    "event_lock": EVENT_ORDER_LOCK,
                    "event_channel": EVENTS_CHANNEL,
                },
            )
            .fetchone()
        )
        assert row is not None
        (found, active, seller_owner, prompt_id, cost, buyer_owner, go, licence, entry) = row[:9]
        debited, balance_now, owned = row[9], row[10], row[11]
        version, content_hash, seller, purchase, created_at = row[14:19]
        if not found:
            raise not_found()
        if buyer_owner is None:
            raise Refused(
                400, "does_not_exist", f'Invalid pk "{buyer}" - object does not exist.', "buyer"
            )
        if not (staff or buyer_owner == user_id):
            raise not_your_assistant(buyer)
        if not active:
            raise domain_refusal(economy_errors.ListingInactive)
        if buyer_owner == seller_owner:
            raise domain_refusal(economy_errors.CannotBuyOwn, "buyer")
        if expected_price is not None and expected_price != cost:
            raise domain_refusal(economy_errors.PriceChanged)
        if expected_version is not None and expected_version != version:
            raise domain_refusal(economy_errors.VersionChanged)
        if licence is None:
            if go or owned:
                raise domain_refusal(economy_errors.AlreadyOwned)
            raise domain_refusal(economy_errors.InsufficientFunds)
        body = {
            "id": purchase,
            "listing": listing_id,
            "prompt": prompt_id,
            "buyer": buyer,
            "seller": seller,
            "version": version,
            "content_hash": content_hash,
            "price": format_cents(cost),
            "licence": licence,
            "ledger_entry": entry,
            "state": "completed",
            "created_at": created_at,
            "refunded_at": None,
            "refund_amount": None,
            "refund_entry": None,
            "refund_reason": "",
            "buyer_balance": format_cents(debited if debited is not None else balance_now),
        }
        return 201, body, []

    def rate(self, environ: dict, prompt_id: int) -> Response:
        user_id, staff = self.user(environ)
        try:
            body = self._body(environ)
            rater = _pk(body, "rater")
            re_ = _number(body, "ritual_effectiveness", 0.0, 1.0)
            aa = _number(body, "assistant_approval", 0.0, 1.0)
            user_tags = _tags(body, "user_rating_tags")
            symbolic_tags = _tags(body, "symbolic_tags")
        except Refused:
            visible = (
                self.db()
                .execute(
                    "SELECT 1 FROM core_prompt p JOIN core_assistant a ON a.id = p.author_id"
                    " WHERE p.id = %s AND (p.is_public OR a.owner_id = %s OR %s)",
                    [prompt_id, user_id, staff],
                )
                .fetchone()
            )
            if visible is None:
                raise not_found() from None
            raise
        score = reputation_trust_score(ritual_effectiveness=re_, assistant_approval=aa)
        params = {
            "prompt": prompt_id,
            "rater": rater,
            "user": user_id,
            "staff": staff,
            "re": re_,
            "aa": aa,
            "urt": Jsonb(user_tags),
            "st": Jsonb(symbolic_tags),
            "score": score,
            "prior": float(settings.REPUTATION_PRIOR_WEIGHT)
            * float(settings.REPUTATION_PRIOR_MEAN),
            "weight": float(settings.REPUTATION_PRIOR_WEIGHT),
            # prompt.rated's data as the API writes it; the statement adds rating and replaced.
            "event_data": Jsonb({"prompt": prompt_id, "rater": rater, "trust_score": score}),
            "event_lock": EVENT_ORDER_LOCK,
            "event_channel": EVENTS_CHANNEL,
        }
        try:
            row = self.db().execute(rating_sql(), params).fetchone()
        except psycopg.errors.UniqueViolation:
            # A concurrent rating by the same rater committed while this statement waited on
            # the prompt's lock, after its snapshot: again, with a snapshot that sees it.
            row = self.db().execute(rating_sql(), params).fetchone()
        assert row is not None
        found, author_owner, rater_owner, entry_id, created_at, counted = row[:6]
        if not found:
            raise not_found()
        if rater_owner is None:
            raise Refused(
                400, "does_not_exist", f'Invalid pk "{rater}" - object does not exist.', "rater"
            )
        if not (staff or rater_owner == user_id):
            raise not_your_assistant(rater)
        if rater_owner == author_owner:
            raise domain_refusal(economy_errors.CannotRateOwn, "rater")
        body = {
            "id": entry_id,
            "prompt": prompt_id,
            "rater": rater,
            "ritual_effectiveness": re_,
            "assistant_approval": aa,
            "user_rating_tags": user_tags,
            "symbolic_tags": symbolic_tags,
            "trust_score": score,
            "created_at": created_at,
        }
        return (201 if counted else 200), body, []

    def step(self, environ: dict, chain_id: int) -> Response:
        user_id, staff = self.user(environ)
        conn = self.db()
        try:
            body = self._body(environ)
            notes = body.get("reflection_notes")
            if not isinstance(notes, str):
                raise Refused(400, "required", "This field is required.", "reflection_notes")
            if len(notes) > MAX_NOTES:
                raise Refused(400, "max_length", "Too long.", "reflection_notes")
            snapshot = body.get("memory_snapshot")
            if not isinstance(snapshot, dict) or len(orjson.dumps(snapshot)) > (
                MEMORY_SNAPSHOT_MAX_BYTES
            ):
                raise Refused(400, "invalid", "A JSON object of at most 64 KiB.", "memory_snapshot")
            delta = _number(body, "belief_delta", -1.0, 1.0)
            expected = body.get("expected_step")
            if expected is not None and (
                isinstance(expected, bool) or not isinstance(expected, int) or expected < 0
            ):
                raise Refused(400, "invalid", "A valid integer is required.", "expected_step")
            if "mutation" in body:
                raise Refused(400, "invalid", "The limit makes no mutations.", "mutation")
        except Refused:
            if (
                conn.execute(
                    "SELECT 1 FROM training_swarmtrainingchain WHERE id = %s", [chain_id]
                ).fetchone()
                is None
            ):
                raise not_found() from None
            raise
        with conn.transaction():
            row = conn.execute(step_lock_sql(), [chain_id]).fetchone()
            if row is None:
                raise not_found()
            (pk, title, seed, seed_owner, max_steps, current, tracker, state, created) = row[:9]
            involved, owners = row[9], row[10]
            turn = involved[current % len(involved)]
            if not (staff or user_id in (owners[current % len(involved)], seed_owner)):
                raise domain_refusal(training_errors.NotYourTurn)
            if state == "completed":
                raise domain_refusal(training_errors.ChainCompleted)
            if expected is not None and expected != current:
                raise domain_refusal(
                    training_errors.StaleStep,
                    detail=f"expected_step is {expected} but the chain is at step {current}.",
                )
            tracker = dict(tracker or {})
            tracker[str(turn)] = float(tracker.get(str(turn), 0.0)) + delta
            tension = codex_tension_population_stddev(tracker=tracker, involved_ids=involved)
            status = "completed" if max_steps is not None and current + 1 >= max_steps else state
            after = current + 1
            if status == "completed":
                next_type, next_users = "chain.completed", owners
                next_data: dict[str, Any] = {"chain": chain_id, "steps": after}
            else:
                following = after % len(involved)
                next_type, next_users = "chain.turn", [owners[following]]
                next_data = {"chain": chain_id, "step": after, "assistant": involved[following]}
            reflection_id, reflected_at, updated, _ = conn.execute(
                step_sql(),
                {
                    "chain": chain_id,
                    "step": current,
                    "turn": turn,
                    "notes": notes,
                    "snapshot": Jsonb(snapshot),
                    "delta": delta,
                    "tracker": Jsonb(tracker),
                    "tension": tension,
                    "status": status,
                    # chain.stepped's data as the API writes it; the statement adds reflection.
                    "stepped": Jsonb(
                        {
                            "chain": chain_id,
                            "step": current,
                            "assistant": turn,
                            "codex_tension": tension,
                        }
                    ),
                    "owners": owners,
                    "next_type": next_type,
                    "next_data": Jsonb(next_data),
                    "next_users": next_users,
                    "event_lock": EVENT_ORDER_LOCK,
                    "event_channel": EVENTS_CHANNEL,
                },
            ).fetchone()  # type: ignore[misc]
        body = {
            "reflection": {
                "id": reflection_id,
                "chain": chain_id,
                "step": current,
                "assistant": turn,
                "reflection_notes": notes,
                "memory_snapshot": snapshot,
                "belief_delta": delta,
                "mutation": None,
                "created_at": reflected_at,
            },
            "chain": {
                "id": pk,
                "chain_title": title,
                "seed_assistant": seed,
                "involved_assistants": involved,
                "max_steps": max_steps,
                "current_step": after,
                "next_assistant": None
                if status == "completed"
                else involved[after % len(involved)],
                "belief_delta_tracker": tracker,
                "codex_tension": tension,
                "status": status,
                "created_at": created,
                "updated_at": updated,
            },
        }
        return 201, body, []


application = LimitApp()
