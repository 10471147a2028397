"""The limit's market writes: a purchase and a rating, each validated as the API validates its
body, then one statement (``purchase_sql``, ``rating_sql``) whose last row tells which refusal
applies; the answer is the API's. The rating's trust score and Bayesian prior come from the
domain's formula and settings."""

from __future__ import annotations

import psycopg
from django.conf import settings
from psycopg.types.json import Jsonb

from bench.limit.base import LimitBase
from bench.limit.constants import EVENT_ORDER_LOCK, EVENTS_CHANNEL
from bench.limit.inputs import read_money, read_number, read_pk, read_tags, read_version
from bench.limit.refusals import (
    Refused,
    Response,
    domain_refusal,
    not_found,
    not_your_assistant,
)
from bench.limit.sql_purchase import purchase_sql
from bench.limit.sql_writes import rating_sql
from economy import exceptions as economy_errors
from economy.formulas import reputation_trust_score
from economy.money import format_cents


class Writes(LimitBase):
    """``POST`` buy and rate."""

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
            buyer = read_pk(body, "buyer")
            expected_price = read_money(body, "expected_price")
            expected_version = read_version(body, "expected_version")
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
            raise domain_refusal(economy_errors.PriceChanged, "expected_price")
        if expected_version is not None and expected_version != version:
            raise domain_refusal(economy_errors.VersionChanged, "expected_version")
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
            rater = read_pk(body, "rater")
            re_ = read_number(body, "ritual_effectiveness", 0.0, 1.0)
            aa = read_number(body, "assistant_approval", 0.0, 1.0)
            user_tags = read_tags(body, "user_rating_tags")
            symbolic_tags = read_tags(body, "symbolic_tags")
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
