"""Reads of the economy that other layers build on."""

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from core.models import Assistant, Prompt

from .models import (
    AssistantPromptTrustMap,
    LedgerEntry,
    PromptLicence,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Wallet,
)

TAG_HISTOGRAM_LIMIT = 100


def paid_listing_exists(prompt_ref: str = "pk") -> Exists:
    return Exists(
        PromptTokenListing.objects.filter(
            prompt=OuterRef(prompt_ref), is_active=True, token_cost_cents__gt=0
        )
    )


def prompts_annotate_access(qs: QuerySet[Prompt], user: User | AnonymousUser) -> QuerySet[Prompt]:
    """Annotate ``is_for_sale`` (an active listing with cost > 0) and ``body_visible``.

    A prompt for sale shows its body only to its author's owner, to holders of a licence (any of
    the user's assistants) and to staff; every other prompt the user can see shows its body.
    """
    # A LEFT JOIN on the prompt's one active listing (a unique partial index): a page costs one
    # index probe per row, where an EXISTS made PostgreSQL hash every paid listing each time.
    qs = qs.annotate(
        active_listing=FilteredRelation("listings", condition=Q(listings__is_active=True)),
        is_for_sale=Case(
            When(active_listing__token_cost_cents__gt=0, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    if user.is_authenticated and user.is_staff:
        return qs.annotate(body_visible=Value(True, output_field=BooleanField()))
    if not user.is_authenticated:
        return qs.annotate(
            body_visible=ExpressionWrapper(Q(is_for_sale=False), output_field=BooleanField())
        )
    licensed = Exists(PromptLicence.objects.filter(prompt=OuterRef("pk"), assistant__owner=user))
    return qs.annotate(
        body_visible=ExpressionWrapper(
            Q(author__owner=user) | Q(is_for_sale=False) | Q(licensed), output_field=BooleanField()
        )
    )


def prompt_is_for_sale(*, prompt: Prompt) -> bool:
    return PromptTokenListing.objects.filter(
        prompt=prompt, is_active=True, token_cost_cents__gt=0
    ).exists()


def bodies_publishable(*, content_hashes: Iterable[str]) -> set[str]:
    """Of these bodies (by content hash), those a copy of which may be public: the ones some
    public prompt that is not for sale already shows to everyone, in one query.

    The one rule for every path that copies a body into a new prompt (fork, mutation, vault
    import): a copy of a body its new author could not have published (a bought for-sale body,
    a private one) starts private, so copying never republishes what a licence paid for. The
    rule looks at the body, not at where the copy says it came from, so an export carried to a
    stranger, or a source repriced since, is judged by what is public now.
    """
    wanted = set(content_hashes)
    if not wanted:
        return set()
    return set(
        Prompt.objects.filter(content_hash__in=wanted, is_public=True)
        .exclude(paid_listing_exists())
        .values_list("content_hash", flat=True)
        .distinct()
    )


def prompt_body_readable(*, prompt: Prompt, assistant: Assistant) -> bool:
    """May this assistant use the prompt's body (fork it, put it in a ritual or a vault)?

    Yes for prompts of its own user, for public prompts not for sale, and for prompts the
    assistant itself holds a licence to. A private prompt of another user: never.
    """
    if prompt.author.owner_id == assistant.owner_id:
        return True
    if not prompt.is_public:
        return False
    if PromptLicence.objects.filter(prompt=prompt, assistant=assistant).exists():
        return True
    return not prompt_is_for_sale(prompt=prompt)


def prompts_unreadable_by(*, prompts: Sequence[Prompt], assistant: Assistant) -> list[Prompt]:
    """Those of ``prompts`` whose body ``assistant`` may not read, by the rule of
    ``prompt_body_readable``, in two queries whatever their number (authors must be loaded)."""
    ids = [p.pk for p in prompts]
    if not ids:
        return []
    licensed = set(
        PromptLicence.objects.filter(assistant=assistant, prompt_id__in=ids).values_list(
            "prompt_id", flat=True
        )
    )
    for_sale = set(
        PromptTokenListing.objects.filter(
            prompt_id__in=ids, is_active=True, token_cost_cents__gt=0
        ).values_list("prompt_id", flat=True)
    )
    unreadable = []
    for p in prompts:
        if p.author.owner_id == assistant.owner_id:
            continue
        if p.is_public and (p.pk in licensed or p.pk not in for_sale):
            continue
        unreadable.append(p)
    return unreadable


# --- Wallets ----------------------------------------------------------------------------------


def wallet_ledger(*, wallet: Wallet) -> QuerySet[LedgerEntry]:
    """Every entry that credits or debits the wallet (order: the caller's cursor, newest first)."""
    return LedgerEntry.objects.filter(Q(payer=wallet) | Q(payee=wallet)).select_related(
        "payer", "payee"
    )


# --- Market -----------------------------------------------------------------------------------


def listings_visible_to(user: User | AnonymousUser) -> QuerySet[PromptTokenListing]:
    """Listings of prompts the user can see, with ``prompt_body_visible`` annotated by the rule
    of ``prompts_annotate_access`` (for sale: author's owner, licence holders and staff)."""
    # The visibility rule of core.selectors.prompts_visible_to, through the join the page needs
    # anyway (an IN (subquery) would make PostgreSQL count and sort the long way round).
    qs = PromptTokenListing.objects.select_related("prompt__author")
    if not (user.is_authenticated and user.is_staff):
        visible = Q(prompt__is_public=True)
        if user.is_authenticated:
            visible |= Q(prompt__author__owner=user)
        qs = qs.filter(visible)
    if user.is_authenticated and user.is_staff:
        return qs.annotate(prompt_body_visible=Value(True, output_field=BooleanField()))
    # An active listing *is* the prompt's one active listing: it is for sale when it costs
    # something. Only a delisted row has to look for another active paid listing; asking every
    # row made PostgreSQL hash all paid listings on each page.
    for_sale = Case(
        When(
            is_active=True,
            then=ExpressionWrapper(Q(token_cost_cents__gt=0), output_field=BooleanField()),
        ),
        default=paid_listing_exists("prompt_id"),
        output_field=BooleanField(),
    )
    qs = qs.alias(prompt_for_sale=for_sale)
    if not user.is_authenticated:
        return qs.annotate(
            prompt_body_visible=ExpressionWrapper(
                Q(prompt_for_sale=False), output_field=BooleanField()
            )
        )
    licensed = Exists(
        PromptLicence.objects.filter(prompt=OuterRef("prompt_id"), assistant__owner=user)
    )
    return qs.annotate(
        prompt_body_visible=ExpressionWrapper(
            Q(prompt__author__owner=user) | Q(prompt_for_sale=False) | Q(licensed),
            output_field=BooleanField(),
        )
    )


# --- Reputation -------------------------------------------------------------------------------


def prompt_ratings(*, prompt: Prompt) -> QuerySet[PromptReputationScore]:
    return PromptReputationScore.objects.filter(prompt=prompt)


def prompt_rating_means(*, prompt: Prompt) -> dict:
    """Mean of each input over the prompt's ratings, in one SQL aggregate (None when unrated)."""
    return prompt_ratings(prompt=prompt).aggregate(
        ritual_effectiveness=Avg("ritual_effectiveness"),
        assistant_approval=Avg("assistant_approval"),
        trust_score=Avg("trust_score"),
    )


def prompt_rating_tag_histogram(*, prompt: Prompt, field: str) -> dict[str, int]:
    """``{tag: number of ratings carrying it}`` for ``user_rating_tags`` or ``symbolic_tags``,
    counted by the database (the most frequent ``TAG_HISTOGRAM_LIMIT`` tags)."""
    if field not in {"user_rating_tags", "symbolic_tags"}:
        raise ValueError(field)
    table = PromptReputationScore._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f'SELECT t.tag, COUNT(*) FROM "{table}" s '
            f'CROSS JOIN LATERAL jsonb_array_elements_text(s."{field}") AS t(tag) '
            "WHERE s.prompt_id = %s GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag LIMIT %s"
        )
    else:
        sql = (
            f'SELECT j.value, COUNT(*) FROM "{table}" s, json_each(s."{field}") j '
            "WHERE s.prompt_id = %s GROUP BY j.value ORDER BY COUNT(*) DESC, j.value LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prompt.pk, TAG_HISTOGRAM_LIMIT])
        return {str(tag): int(n) for tag, n in cursor.fetchall()}


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
