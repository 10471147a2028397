"""Reads of the economy that other layers build on."""

import json

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat

from core.access import as_boolean, body_visible_q, prompt_visible_q
from core.models import Assistant, Prompt, PromptLicence

from .models import (
    AssistantPromptTrustMap,
    LedgerEntry,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Purchase,
    Wallet,
)

TAG_HISTOGRAM_LIMIT = 100


# --- Wallets ----------------------------------------------------------------------------------


def wallet_ledger(*, wallet: Wallet) -> QuerySet[LedgerEntry]:
    """Every entry that credits or debits the wallet (order: the caller's cursor, newest first)."""
    return LedgerEntry.objects.filter(Q(payer=wallet) | Q(payee=wallet)).select_related(
        "payer", "payee"
    )


def licences_of(*, assistant: Assistant) -> QuerySet[PromptLicence]:
    """The assistant's licences, active and refunded, with the version each was granted at and
    ``paid_cents``: the amount of the purchase entry that bought it (None when none did)."""
    listing_refs = (
        PromptTokenListing.objects.filter(prompt_id=OuterRef(OuterRef("prompt_id")))
        .annotate(ref=Concat(Value("listing:"), Cast("pk", CharField())))
        .values("ref")
    )
    paid = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.PROMPT_PURCHASE,
        payer__assistant_id=OuterRef("assistant_id"),
        reference__in=listing_refs,
    ).values("amount_cents")[:1]
    return (
        PromptLicence.objects.filter(assistant=assistant)
        .select_related("version")
        .annotate(paid_cents=Subquery(paid))
    )


# --- Market -----------------------------------------------------------------------------------


def purchases_visible_to(
    user: User | AnonymousUser, *, role: str | None = None
) -> QuerySet[Purchase]:
    """Purchases the user is party to: its assistants bought them (``role="buyer"``) or sold them
    (``role="seller"``), either when ``role`` is None; staff see every one. Others' purchases do
    not exist for the user."""
    qs = Purchase.objects.select_related("version", "seller")
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        buyer_q, seller_q = Q(), Q()
    else:
        buyer_q, seller_q = Q(buyer__owner_id=user.pk), Q(seller__owner_id=user.pk)
    if role == "buyer":
        return qs.filter(buyer_q)
    if role == "seller":
        return qs.filter(seller_q)
    return qs.filter(buyer_q | seller_q)


def listings_visible_to(user: User | AnonymousUser) -> QuerySet[PromptTokenListing]:
    """Listings of prompts the user may see, with ``prompt_body_visible`` annotated: the rules
    of ``core.access`` through the join the page needs anyway."""
    return (
        PromptTokenListing.objects.select_related("prompt__author")
        .filter(prompt_visible_q(user, prefix="prompt__"))
        .annotate(prompt_body_visible=as_boolean(body_visible_q(user, prefix="prompt__")))
    )


def with_visible_body(listings: QuerySet[PromptTokenListing]) -> QuerySet[PromptTokenListing]:
    """``listings_visible_to`` for ``values()`` pages: ``prompt_visible_body`` is the body where
    ``prompt_body_visible`` holds and NULL elsewhere, so no body the page would hide is read."""
    return listings.annotate(
        prompt_visible_body=Case(When(prompt_body_visible=True, then=F("prompt__body")))
    )


# --- Reputation -------------------------------------------------------------------------------


def prompt_ratings(*, prompt: Prompt) -> QuerySet[PromptReputationScore]:
    return PromptReputationScore.objects.filter(prompt=prompt)


RATING_MEANS = ("ritual_effectiveness", "assistant_approval", "trust_score")
RATING_TAG_FIELDS = ("user_rating_tags", "symbolic_tags")


def _tag_histogram_sql(field: str) -> str:
    """A correlated subquery over the outer ``core_prompt`` row: its ratings' ``field`` tags as
    JSON text ``[[tag, n], ...]``, most frequent first then by tag, at most
    ``TAG_HISTOGRAM_LIMIT`` (NULL when none)."""
    if field not in RATING_TAG_FIELDS:
        raise ValueError(field)
    table = PromptReputationScore._meta.db_table
    prompt = f'"{Prompt._meta.db_table}"."id"'
    if connection.vendor == "postgresql":
        return (
            "(SELECT json_agg(json_build_array(h.tag, h.n) ORDER BY h.n DESC, h.tag)::text FROM ("
            f'SELECT t.tag, COUNT(*) AS n FROM "{table}" s '
            f'CROSS JOIN LATERAL jsonb_array_elements_text(s."{field}") AS t(tag) '
            f"WHERE s.prompt_id = {prompt} GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag "
            f"LIMIT {TAG_HISTOGRAM_LIMIT}) h)"
        )
    return (
        "(SELECT json_group_array(json_array(h.tag, h.n)) FROM ("
        f'SELECT j.value AS tag, COUNT(*) AS n FROM "{table}" s, json_each(s."{field}") j '
        f"WHERE s.prompt_id = {prompt} GROUP BY j.value ORDER BY COUNT(*) DESC, j.value "
        f"LIMIT {TAG_HISTOGRAM_LIMIT}) h)"
    )


def prompts_with_reputation(prompts: QuerySet[Prompt]) -> QuerySet[Prompt]:
    """``prompts`` with what a reputation page adds to the stored aggregate, in the same
    statement: ``mean_<input>`` for each of ``RATING_MEANS`` (None when unrated) and
    ``<field>_histogram`` for each of ``RATING_TAG_FIELDS`` (read it with
    ``tag_histogram``): ``{tag: number of ratings carrying it}``, counted by the database
    (the most frequent ``TAG_HISTOGRAM_LIMIT`` tags)."""
    ratings = PromptReputationScore.objects.filter(prompt=OuterRef("pk")).values("prompt")
    means = {
        f"mean_{name}": Subquery(
            ratings.annotate(mean=Avg(name)).values("mean"), output_field=FloatField()
        )
        for name in RATING_MEANS
    }
    histograms = {
        f"{field}_histogram": RawSQL(_tag_histogram_sql(field), (), output_field=TextField())
        for field in RATING_TAG_FIELDS
    }
    return prompts.annotate(**means, **histograms)


# What ``prompts_with_reputation`` gives a reputation page, as ``values()`` names.
REPUTATION_VALUES = (
    "id",
    "trust_score",
    "rating_count",
    *(f"mean_{name}" for name in RATING_MEANS),
    *(f"{field}_histogram" for field in RATING_TAG_FIELDS),
)


def tag_histogram(raw: str | None) -> dict[str, int]:
    """A ``<field>_histogram`` value of ``prompts_with_reputation`` as a dict."""
    return {str(tag): int(n) for tag, n in json.loads(raw or "[]")}


# --- Trust maps and vaults --------------------------------------------------------------------


def trust_maps_of(*, assistant: Assistant) -> QuerySet[AssistantPromptTrustMap]:
    return AssistantPromptTrustMap.objects.filter(assistant=assistant).select_related("prompt")


def vaults_visible_to(user: User | AnonymousUser) -> QuerySet[PromptMarketplaceVault]:
    """Vaults are their owner's alone (staff see all); others get a 404."""
    qs = PromptMarketplaceVault.objects.select_related("owner_assistant").prefetch_related(
        Prefetch("prompt_set", queryset=Prompt.objects.only("id").order_by("id"))
    )
    if user.is_authenticated and user.is_staff:
        return qs
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(owner_assistant__owner=user)
