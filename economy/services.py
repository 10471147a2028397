"""Writes of the economy: wallets and the ledger, reputation, the market, trust maps, vaults.

Each function states the rule it enforces; derived numbers come from one formula function each.
"""

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from core.access import bodies_publishable, prompts_unusable_by, prompts_visible_to
from core.events import event_emit
from core.exceptions import NotLicensed, PromptNotReadable
from core.models import Assistant, Prompt, PromptLicence, PromptVersion, content_hash
from core.services import assistant_create, prompt_create

from .exceptions import (
    AlreadyListed,
    AlreadyOwned,
    AlreadyRefunded,
    CannotBuyOwn,
    CannotRateOwn,
    InsufficientFunds,
    InvalidSignature,
    ListingInactive,
    PriceChanged,
    PromptNotListable,
    RefundNotAllowed,
    VersionChanged,
)
from .formulas import (
    bayesian_trust_score_sql,
    dreamframe_volatility,
    reputation_trust_score,
    trust_ema,
)
from .models import (
    AssistantPromptTrustMap,
    IdempotencyKey,
    LedgerEntry,
    ListingAdoption,
    PromptInjection,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Purchase,
    Wallet,
)
from .money import format_cents, to_cents


def grant_cents() -> int:
    return to_cents(str(settings.TOKEN_GRANT))


# References of grant entries: "assistant:<id>" for the automatic grant, "staff:<user id>" for a
# staff grant, so the per-user limit counts the automatic ones only.
AUTOMATIC_GRANT_PREFIX = "assistant:"
STAFF_GRANT_PREFIX = "staff:"


@transaction.atomic
def assistant_open(*, owner: User, name: str, description: str = "") -> Assistant:
    """An assistant comes with its wallet (``wallet_create_with_grant``), in one transaction."""
    assistant = assistant_create(owner=owner, name=name, description=description)
    wallet_create_with_grant(assistant=assistant)
    return assistant


@transaction.atomic
def wallet_create_with_grant(*, assistant: Assistant) -> Wallet:
    """Every assistant gets one wallet. The first GRANTED_ASSISTANTS_PER_USER assistants of a
    user receive TOKEN_GRANT through a ``grant`` entry; later ones start at 0.00, so creating
    assistants mints nothing.

    The owner's user row is locked first: two assistants created at once by one user queue
    here, and the second counts the first's grant (SQLite: the IMMEDIATE transaction does it).
    """
    list(User.objects.select_for_update().filter(pk=assistant.owner_id).values_list("pk"))
    granted = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.GRANT,
        payee__assistant__owner_id=assistant.owner_id,
        reference__startswith=AUTOMATIC_GRANT_PREFIX,
    ).count()
    amount = grant_cents() if granted < settings.GRANTED_ASSISTANTS_PER_USER else 0
    wallet = Wallet.objects.create(assistant=assistant, balance_cents=amount)
    if amount > 0:
        LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.GRANT,
            payer=None,
            payee=wallet,
            amount_cents=amount,
            reference=f"{AUTOMATIC_GRANT_PREFIX}{assistant.pk}",
        )
    return wallet


@transaction.atomic
def wallet_grant(*, wallet: Wallet, amount_cents: int, granted_by: User) -> LedgerEntry:
    """Staff mint ``amount_cents`` (> 0) into a wallet: a ``grant`` entry and the balance up by
    the same amount in one transaction, so Σ grants = Σ balances still holds."""
    if amount_cents <= 0:
        raise ValueError("amount must be > 0")
    Wallet.objects.filter(pk=wallet.pk).update(balance_cents=F("balance_cents") + amount_cents)
    return LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.GRANT,
        payer=None,
        payee=wallet,
        amount_cents=amount_cents,
        reference=f"{STAFF_GRANT_PREFIX}{granted_by.pk}",
    )


@dataclass
class Transfer:
    """What a transfer did, read inside its transaction: the entry (None when nothing moved)
    and both wallets' balances after it, as the debit and the credit returned them."""

    entry: LedgerEntry | None
    payer_balance_cents: int
    payee_balance_cents: int


def assistant_pay(
    *, payer: Assistant, payee_id: int, amount_cents: int, kind: str, reference: str
) -> Transfer:
    """``ledger_transfer`` between two assistants' wallets (both looked up in one query)."""
    wallets = dict(
        Wallet.objects.filter(assistant_id__in=[payer.pk, payee_id]).values_list(
            "assistant_id", "pk"
        )
    )
    return ledger_transfer(
        payer=wallets[payer.pk],
        payee=wallets[payee_id],
        amount_cents=amount_cents,
        kind=kind,
        reference=reference,
    )


def _wallet_add_returning(*, wallet_id: int, delta_cents: int) -> int | None:
    """Add ``delta_cents`` to one wallet unless that would make it negative, in one conditional
    UPDATE ... RETURNING (PostgreSQL and SQLite ≥ 3.35): the new balance, None when refused."""
    table = connection.ops.quote_name(Wallet._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance_cents = balance_cents + %s "
            "WHERE id = %s AND balance_cents + %s >= 0 RETURNING balance_cents",
            [delta_cents, wallet_id, delta_cents],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@transaction.atomic(savepoint=False)  # all or nothing with its caller: no savepoint needed
def ledger_transfer(
    *, payer: Wallet | int, payee: Wallet | int, amount_cents: int, kind: str, reference: str
) -> Transfer:
    """Move ``amount_cents`` from payer to payee and record it, all or nothing.

    The debit is one conditional UPDATE (``balance >= amount``), so two concurrent purchases can
    never both spend the same tokens: the loser updates no row and gets ``insufficient_funds``.
    Each UPDATE returns the balance it left, so the caller states it without a re-read.
    A zero amount records nothing (``entry`` None) and reads both balances.
    """
    payer_id = payer if isinstance(payer, int) else payer.pk
    payee_id = payee if isinstance(payee, int) else payee.pk
    if amount_cents < 0:
        raise ValueError("amount must be >= 0")
    if amount_cents == 0:
        balances = dict(
            Wallet.objects.filter(pk__in=[payer_id, payee_id]).values_list("pk", "balance_cents")
        )
        return Transfer(
            entry=None,
            payer_balance_cents=balances[payer_id],
            payee_balance_cents=balances[payee_id],
        )

    def debit() -> int:
        balance = _wallet_add_returning(wallet_id=payer_id, delta_cents=-amount_cents)
        if balance is None:
            raise InsufficientFunds()
        return balance

    def credit() -> int:
        balance = _wallet_add_returning(wallet_id=payee_id, delta_cents=amount_cents)
        if balance is None:  # a credit cannot make a balance negative: the wallet is gone
            raise Wallet.DoesNotExist(f"wallet {payee_id}")
        return balance

    # Rows are locked in wallet-id order, so A→B and B→A at once queue instead of deadlocking.
    # A failed debit after the credit rolls the credit back with the transaction.
    if payer_id < payee_id:
        payer_balance = debit()
        payee_balance = credit()
    else:
        payee_balance = credit()
        payer_balance = debit()
    entry = LedgerEntry.objects.create(
        kind=kind,
        payer_id=payer_id,
        payee_id=payee_id,
        amount_cents=amount_cents,
        reference=reference,
    )
    return Transfer(
        entry=entry, payer_balance_cents=payer_balance, payee_balance_cents=payee_balance
    )


# --- Reputation -------------------------------------------------------------------------------


@transaction.atomic
def prompt_rate(
    *,
    prompt: Prompt,
    rater: Assistant,
    ritual_effectiveness: float,
    assistant_approval: float,
    user_rating_tags: Sequence[str] = (),
    symbolic_tags: Sequence[str] = (),
    require_licence: bool = False,
) -> tuple[PromptReputationScore, bool]:
    """Record ``rater``'s rating of ``prompt``; returns (entry, created).

    One entry per (rater, prompt): rating again replaces the previous entry (the new one is the
    newest). Assistants of the prompt author's user cannot rate it (400 ``cannot_rate_own``);
    with ``require_licence`` (the market) the rater must hold a licence (403 ``not_licensed``).
    The Prompt's aggregate (rating_sum, rating_count, trust_score) moves by the difference in the
    same transaction: a constant number of queries however many ratings exist.
    """
    if rater.owner_id == prompt.author.owner_id:
        raise CannotRateOwn(field="rater")
    # Lock the prompt row before reading anything the rating acts on (the licence, the previous
    # entry): concurrent ratings of one prompt queue (SQLite: IMMEDIATE already does).
    list(Prompt.objects.select_for_update().filter(pk=prompt.pk).values_list("pk"))
    if (
        require_licence
        and not PromptLicence.objects.filter(
            prompt=prompt, assistant=rater, state=PromptLicence.State.ACTIVE
        ).exists()
    ):
        raise NotLicensed()
    previous = (
        PromptReputationScore.objects.filter(prompt=prompt, rater=rater)
        .values_list("pk", "trust_score")
        .first()
    )
    score = reputation_trust_score(
        ritual_effectiveness=ritual_effectiveness, assistant_approval=assistant_approval
    )
    if previous is None:
        sum_delta, count_delta = score, 1
    else:
        PromptReputationScore.objects.filter(pk=previous[0]).delete()
        sum_delta, count_delta = score - previous[1], 0
    entry = PromptReputationScore.objects.create(
        prompt=prompt,
        rater=rater,
        ritual_effectiveness=ritual_effectiveness,
        assistant_approval=assistant_approval,
        user_rating_tags=list(user_rating_tags),
        symbolic_tags=list(symbolic_tags),
        trust_score=score,
    )
    new_sum = F("rating_sum") + sum_delta
    new_count = F("rating_count") + count_delta
    Prompt.objects.filter(pk=prompt.pk).update(
        rating_sum=new_sum,
        rating_count=new_count,
        trust_score=bayesian_trust_score_sql(new_sum, new_count),
    )
    event_emit(
        type="prompt.rated",
        data={
            "prompt": prompt.pk,
            "rating": entry.pk,
            "rater": rater.pk,
            "trust_score": score,
            "replaced": previous is not None,
        },
        recipients=[prompt.author.owner_id],
    )
    return entry, previous is None


@transaction.atomic
def prompt_rating_delete(*, entry: PromptReputationScore) -> None:
    """Remove one rating (moderation): the prompt's aggregate moves back by that entry in the
    same transaction, under the prompt's row lock, as ``prompt_rate`` moves it forward. An entry
    already gone (a concurrent replacement or delete) changes nothing."""
    list(Prompt.objects.select_for_update().filter(pk=entry.prompt_id).values_list("pk"))
    score = (
        PromptReputationScore.objects.filter(pk=entry.pk).values_list("trust_score", flat=True)
    ).first()
    if score is None:
        return
    PromptReputationScore.objects.filter(pk=entry.pk).delete()
    # The last rating gone leaves exactly the prior, not a float residue of the sum.
    new_sum = Case(When(rating_count__lte=1, then=Value(0.0)), default=F("rating_sum") - score)
    new_count = F("rating_count") - 1
    Prompt.objects.filter(pk=entry.prompt_id).update(
        rating_sum=new_sum,
        rating_count=new_count,
        trust_score=bayesian_trust_score_sql(new_sum, new_count),
    )


# --- Market -----------------------------------------------------------------------------------


@transaction.atomic
def listing_create(
    *,
    prompt: Prompt,
    token_cost_cents: int,
    symbolic_tag_weight: float = 0.0,
    codex_usage_score: float = 0.0,
) -> PromptTokenListing:
    """List a public prompt. At most one active listing per prompt (409 ``already_listed``);
    the seller is the prompt's author."""
    # Under the prompt's row lock: a concurrent edit cannot make it private meanwhile.
    is_public = (
        Prompt.objects.select_for_update().filter(pk=prompt.pk).values_list("is_public", flat=True)
    )
    if not is_public.first():
        raise PromptNotListable(field="prompt")
    if PromptTokenListing.objects.filter(prompt=prompt, is_active=True).exists():
        raise AlreadyListed()
    try:
        with transaction.atomic():
            listing = PromptTokenListing.objects.create(
                prompt=prompt,
                token_cost_cents=token_cost_cents,
                symbolic_tag_weight=symbolic_tag_weight,
                codex_usage_score=codex_usage_score,
            )
    except IntegrityError as exc:  # a concurrent listing won the partial unique index
        raise AlreadyListed() from exc
    _prompt_market_state_set(prompt=prompt, active_cost_cents=token_cost_cents)
    event_emit(
        type="listing.created",
        data={
            "listing": listing.pk,
            "prompt": prompt.pk,
            "seller": prompt.author_id,
            "price": format_cents(token_cost_cents),
        },
        recipients=[prompt.author.owner_id],
    )
    return listing


def _prompt_market_state_set(*, prompt: Prompt, active_cost_cents: int | None) -> None:
    """Keep the prompt's ``is_listed`` / ``is_for_sale`` (read by core's access rules) equal to
    its active listing, in the listing change's transaction: ``active_cost_cents`` is that
    listing's price, None when it has none."""
    listed = active_cost_cents is not None
    for_sale = active_cost_cents is not None and active_cost_cents > 0
    Prompt.objects.filter(pk=prompt.pk).update(is_listed=listed, is_for_sale=for_sale)
    prompt.is_listed, prompt.is_for_sale = listed, for_sale


@transaction.atomic
def listing_update(*, listing: PromptTokenListing, **fields: Any) -> PromptTokenListing:
    """A seller may change price and scores of an active listing (409 ``listing_inactive``).

    One conditional UPDATE on ``is_active``: a listing delisted after the caller read it is
    never repriced, however the two interleave."""
    qs = PromptTokenListing.objects.filter(pk=listing.pk, is_active=True)
    if not (qs.update(**fields) if fields else qs.exists()):
        raise ListingInactive()
    old_price = listing.token_cost_cents
    for key, value in fields.items():
        setattr(listing, key, value)
    if "token_cost_cents" in fields:
        _prompt_market_state_set(prompt=listing.prompt, active_cost_cents=listing.token_cost_cents)
    if listing.token_cost_cents != old_price:
        event_emit(
            type="listing.price_changed",
            data={
                "listing": listing.pk,
                "prompt": listing.prompt_id,
                "seller": listing.prompt.author_id,
                "old_price": format_cents(old_price),
                "price": format_cents(listing.token_cost_cents),
            },
            recipients=[listing.prompt.author.owner_id],
        )
    return listing


@transaction.atomic
def listing_delist(*, listing: PromptTokenListing) -> PromptTokenListing:
    """Delisting keeps the row (history, licences, adoptions) and makes it inactive."""
    now = timezone.now()
    updated = PromptTokenListing.objects.filter(pk=listing.pk, is_active=True).update(
        is_active=False, delisted_at=now
    )
    if not updated:
        raise ListingInactive()
    _prompt_market_state_set(prompt=listing.prompt, active_cost_cents=None)
    listing.is_active, listing.delisted_at = False, now
    event_emit(
        type="listing.delisted",
        data={
            "listing": listing.pk,
            "prompt": listing.prompt_id,
            "seller": listing.prompt.author_id,
        },
        recipients=[listing.prompt.author.owner_id],
    )
    return listing


def _adoption_record(
    *, listing: PromptTokenListing, assistant: Assistant, kind: str, first: bool = False
) -> None:
    """Count ``assistant`` once among the listing's adopters. The seller's own assistants never
    count. ``first`` skips the look-up when the caller knows this is the assistant's first
    adoption (a purchase: it just got its first licence, and inject needs one)."""
    if assistant.owner_id == listing.prompt.author.owner_id:
        return
    if first:
        ListingAdoption.objects.create(listing=listing, assistant=assistant, kind=kind)
        created = True
    else:
        _, created = ListingAdoption.objects.get_or_create(
            listing=listing, assistant=assistant, defaults={"kind": kind}
        )
    if created:
        PromptTokenListing.objects.filter(pk=listing.pk).update(
            adopter_count=F("adopter_count") + 1
        )


@dataclass
class Sale:
    """What ``listing_buy`` did, read inside its transaction: the purchase (with its version)
    and the buyer's balance the debit left."""

    purchase: Purchase
    buyer_balance_cents: int


def _licence_for_sale(*, buyer: Assistant, prompt: Prompt, version_id: int) -> PromptLicence:
    """A purchase licence at ``version_id``. A licence the buyer had refunded comes back to
    life at this version (one row per assistant and prompt); any other licence it holds, or one
    a concurrent purchase just made, is 409 ``already_owned``."""
    try:
        with transaction.atomic():
            return PromptLicence.objects.create(
                assistant=buyer,
                prompt=prompt,
                version_id=version_id,
                source=PromptLicence.Source.PURCHASE,
            )
    except IntegrityError:
        pass
    revived = PromptLicence.objects.filter(
        assistant=buyer, prompt=prompt, state=PromptLicence.State.REFUNDED
    ).update(
        state=PromptLicence.State.ACTIVE,
        version_id=version_id,
        source=PromptLicence.Source.PURCHASE,
    )
    if not revived:
        raise AlreadyOwned()
    return PromptLicence.objects.get(assistant=buyer, prompt=prompt)


@transaction.atomic
def listing_buy(
    *,
    listing: PromptTokenListing,
    buyer: Assistant,
    expected_price: int | None = None,
    expected_version: int | None = None,
) -> Sale:
    """Buy a licence to the listing's prompt at its newest version: a ledger entry buyer →
    seller for the price (none for a free listing), the licence and the ``Purchase`` record,
    all in one transaction.

    The listing row is locked first, so price and activity are the ones charged; a pinned
    ``expected_price`` / ``expected_version`` (a version number) that differs from what is
    sold now is 409 ``price_changed`` / ``version_changed`` with nothing charged. 409
    ``listing_inactive`` for a delisted listing, ``already_owned`` when the buyer holds an
    active licence (also when a concurrent purchase won), ``insufficient_funds`` (nothing
    changes); 400 ``cannot_buy_own`` for the seller's user's own assistants.
    """
    listing = (
        PromptTokenListing.objects.select_for_update(of=("self",))
        .select_related("prompt__author")
        .get(pk=listing.pk)
    )
    if not listing.is_active:
        raise ListingInactive()
    seller = listing.prompt.author
    if buyer.owner_id == seller.owner_id:
        raise CannotBuyOwn(field="buyer")
    if expected_price is not None and expected_price != listing.token_cost_cents:
        raise PriceChanged(field="expected_price")
    # The newest committed version is what is sold (the licence opens it and every later one).
    version = (
        PromptVersion.objects.filter(prompt_id=listing.prompt_id)
        .only("id", "number", "content_hash", "prompt_id")
        .order_by("-number")
        .first()
    )
    if version is None:  # every prompt has version 1 from its creation
        raise ValueError(f"prompt {listing.prompt_id} has no version")
    if expected_version is not None and expected_version != version.number:
        raise VersionChanged(field="expected_version")
    # The licence first: a concurrent purchase by the same buyer waits on the unique index and
    # then fails here, before it could be charged.
    licence = _licence_for_sale(buyer=buyer, prompt=listing.prompt, version_id=version.pk)
    transfer = assistant_pay(
        payer=buyer,
        payee_id=seller.pk,
        amount_cents=listing.token_cost_cents,
        kind=LedgerEntry.Kind.PROMPT_PURCHASE,
        reference=f"listing:{listing.pk}",
    )
    purchase = Purchase.objects.create(
        buyer=buyer,
        seller=seller,
        listing=listing,
        prompt=listing.prompt,
        version=version,
        price_cents=listing.token_cost_cents,
        ledger_entry=transfer.entry,
        licence=licence,
    )
    _adoption_record(
        listing=listing, assistant=buyer, kind=ListingAdoption.Kind.PURCHASE, first=True
    )
    event_emit(
        type="purchase.completed",
        data={
            "purchase": purchase.pk,
            "listing": listing.pk,
            "prompt": listing.prompt_id,
            "buyer": buyer.pk,
            "seller": seller.pk,
            "licence": licence.pk,
            "price": format_cents(listing.token_cost_cents),
        },
        recipients=[buyer.owner_id, seller.owner_id],
    )
    return Sale(purchase=purchase, buyer_balance_cents=transfer.payer_balance_cents)


# Checks "has the buyer used what it bought?" registered by the apps that can tell (training
# knows mutations; economy must not import it): each takes prompt_id and assistant_id.
purchase_use_checks: list[Callable[..., bool]] = []


def purchase_used_by_buyer(*, purchase: Purchase) -> bool:
    """The buyer forked the prompt, exported it in a vault, or (a registered check) mutated it."""
    if Prompt.objects.filter(
        forked_from_id=purchase.prompt_id, author_id=purchase.buyer_id
    ).exists():
        return True
    if PromptMarketplaceVault.objects.filter(
        owner_assistant_id=purchase.buyer_id, prompt_set=purchase.prompt_id
    ).exists():
        return True
    return any(
        check(prompt_id=purchase.prompt_id, assistant_id=purchase.buyer_id)
        for check in purchase_use_checks
    )


def refund_window_open(*, purchase: Purchase, now: datetime) -> bool:
    """A buyer may ask for its money back until created_at + REFUND_WINDOW_HOURS."""
    return now < purchase.created_at + timedelta(hours=settings.REFUND_WINDOW_HOURS)


@dataclass
class Refund:
    """What ``purchase_refund`` did, read inside its transaction."""

    purchase: Purchase
    refund_cents: int
    buyer_balance_cents: int
    seller_balance_cents: int


@transaction.atomic
def purchase_refund(*, purchase: Purchase, by_seller: bool, reason: str = "") -> Refund:
    """Undo a sale in one transaction: a ``refund`` entry seller → buyer for the price paid
    (none for a free sale), the licence ``refunded`` (so core's access rules stop its reads),
    the purchase ``refunded`` and the buyer's purchase adoption removed from the listing's count.

    The listing row is locked first (a buy's order): of two concurrent refunds one waits and
    then gets 409 ``already_refunded``. The seller may refund at any time (``by_seller``); the buyer only
    within ``refund_window_open`` and if ``purchase_used_by_buyer`` is false (403
    ``refund_not_allowed``). 409 ``insufficient_funds`` when the seller has spent the money.
    """
    # The listing's row lock serialises every buy and refund of the listing: two refunds of one
    # purchase queue here and the second reads it refunded; taken before the wallets, as a buy
    # takes it, so a buy and a refund never wait on each other in opposite orders.
    PromptTokenListing.objects.select_for_update().filter(pk=purchase.listing_id).exists()
    purchase = Purchase.objects.select_related("buyer", "seller").get(pk=purchase.pk)
    if purchase.state == Purchase.State.REFUNDED:
        raise AlreadyRefunded()
    now = timezone.now()
    if not by_seller:
        if not refund_window_open(purchase=purchase, now=now):
            raise RefundNotAllowed("The refund window of this purchase has closed.")
        if purchase_used_by_buyer(purchase=purchase):
            raise RefundNotAllowed("The buyer has forked, mutated or exported the prompt.")
    transfer = assistant_pay(
        payer=purchase.seller,
        payee_id=purchase.buyer_id,
        amount_cents=purchase.price_cents,
        kind=LedgerEntry.Kind.REFUND,
        reference=f"purchase:{purchase.pk}",
    )
    PromptLicence.objects.filter(pk=purchase.licence_id).update(state=PromptLicence.State.REFUNDED)
    purchase.state = Purchase.State.REFUNDED
    purchase.refunded_at = now
    purchase.refund_entry = transfer.entry
    purchase.refund_reason = reason
    purchase.save(update_fields=["state", "refunded_at", "refund_entry", "refund_reason"])
    removed, _ = ListingAdoption.objects.filter(
        listing_id=purchase.listing_id,
        assistant_id=purchase.buyer_id,
        kind=ListingAdoption.Kind.PURCHASE,
    ).delete()
    if removed:
        PromptTokenListing.objects.filter(pk=purchase.listing_id).update(
            adopter_count=F("adopter_count") - 1
        )
    event_emit(
        type="purchase.refunded",
        data={
            "purchase": purchase.pk,
            "listing": purchase.listing_id,
            "prompt": purchase.prompt_id,
            "buyer": purchase.buyer_id,
            "seller": purchase.seller_id,
            "amount": format_cents(purchase.price_cents),
        },
        recipients=[purchase.buyer.owner_id, purchase.seller.owner_id],
    )
    return Refund(
        purchase=purchase,
        refund_cents=purchase.price_cents,
        buyer_balance_cents=transfer.payee_balance_cents,
        seller_balance_cents=transfer.payer_balance_cents,
    )


@dataclass
class Injection:
    injection: PromptInjection
    trust_map: AssistantPromptTrustMap
    created: bool


@transaction.atomic
def listing_inject(*, listing: PromptTokenListing, assistant: Assistant) -> Injection:
    """Install the listing's prompt in the assistant's working set and open its trust-map row
    (scores 0.5) if absent. Needs a licence or authorship (an assistant of the author's user):
    403 ``not_licensed``. Repeating it changes nothing.

    It counts as an adoption only while the listing is active: the listing row is locked and
    re-read, so a concurrent delist is either seen here or waits for the inject."""
    prompt = listing.prompt
    own = assistant.owner_id == prompt.author.owner_id
    if (
        not own
        and not PromptLicence.objects.filter(
            prompt=prompt, assistant=assistant, state=PromptLicence.State.ACTIVE
        ).exists()
    ):
        raise NotLicensed()
    injection, created = PromptInjection.objects.get_or_create(assistant=assistant, prompt=prompt)
    trust_map, _ = AssistantPromptTrustMap.objects.get_or_create(assistant=assistant, prompt=prompt)
    active = (
        PromptTokenListing.objects.select_for_update()
        .filter(pk=listing.pk)
        .values_list("is_active", flat=True)
        .first()
    )
    if active:
        _adoption_record(listing=listing, assistant=assistant, kind=ListingAdoption.Kind.INJECTION)
    return Injection(injection=injection, trust_map=trust_map, created=created)


# --- Trust maps -------------------------------------------------------------------------------


@transaction.atomic
def trust_observe(
    *,
    assistant: Assistant,
    prompt: Prompt,
    resonance: float,
    symbolic_compliance: float,
    mutation_bias: float,
) -> AssistantPromptTrustMap:
    """Record an observation of ``prompt`` by ``assistant``. The first observation sets the
    scores; later ones move each by ``trust_ema``; dreamframe_volatility follows
    ``dreamframe_volatility``; observation_count + 1. The row is locked while it moves."""
    row, _ = AssistantPromptTrustMap.objects.get_or_create(assistant=assistant, prompt=prompt)
    row = AssistantPromptTrustMap.objects.select_for_update().get(pk=row.pk)
    if row.observation_count == 0:
        row.resonance_score = resonance
        row.symbolic_compliance = symbolic_compliance
        row.mutation_bias = mutation_bias
        row.dreamframe_volatility = 0.0
    else:
        row.dreamframe_volatility = dreamframe_volatility(
            previous_volatility=row.dreamframe_volatility,
            previous_resonance=row.resonance_score,
            observed_resonance=resonance,
        )
        row.resonance_score = trust_ema(row.resonance_score, resonance)
        row.symbolic_compliance = trust_ema(row.symbolic_compliance, symbolic_compliance)
        row.mutation_bias = trust_ema(row.mutation_bias, mutation_bias)
    row.observation_count += 1
    row.save()
    return row


# --- Vaults -----------------------------------------------------------------------------------

VAULT_FORMAT_VERSION = 1
VAULT_MAX_PROMPTS = 100


def canonical_json(data: Any) -> bytes:
    """The bytes a vault signature covers: JSON with sorted keys, compact separators, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def vault_signature(exported_json: Any) -> str:
    """symbolic_signature = HMAC-SHA256(VAULT_SIGNING_KEY, canonical_json(exported_json)), hex."""
    key = str(settings.VAULT_SIGNING_KEY).encode("utf-8")
    return hmac.new(key, canonical_json(exported_json), hashlib.sha256).hexdigest()


def vault_export_build(*, owner: Assistant, prompts: Sequence[Prompt]) -> dict:
    return {
        "format_version": VAULT_FORMAT_VERSION,
        "owner": {"assistant": owner.pk, "name": owner.name},
        "prompts": [
            {
                "source_id": p.pk,
                "version": p.version,
                "title": p.title,
                "body": p.body,
                "tags": list(p.tags),
                "content_hash": p.content_hash,
            }
            for p in prompts
        ],
    }


@transaction.atomic
def vault_create(
    *, owner_assistant: Assistant, prompts: Sequence[Prompt], name: str = ""
) -> PromptMarketplaceVault:
    """Bundle prompts whose bodies the owner may read (400 ``prompt_not_readable`` otherwise);
    the server writes exported_json and its HMAC symbolic_signature."""
    unreadable = prompts_unusable_by(prompts=prompts, assistant=owner_assistant)
    if unreadable:
        ids = ", ".join(str(p.pk) for p in unreadable)
        raise PromptNotReadable(f"The owner may not read prompt(s) {ids}.", field="prompts")
    exported = vault_export_build(owner=owner_assistant, prompts=prompts)
    vault = PromptMarketplaceVault.objects.create(
        owner_assistant=owner_assistant,
        name=name,
        exported_json=exported,
        symbolic_signature=vault_signature(exported),
    )
    vault.prompt_set.set(prompts)
    return vault


def _vault_entries_verified(exported_json: Any) -> list[dict]:
    """The prompts of a signed export, each checked against its content hash and the limits a
    prompt has; anything off is ``invalid_signature``."""
    if not isinstance(exported_json, dict) or exported_json.get("format_version") != (
        VAULT_FORMAT_VERSION
    ):
        raise InvalidSignature("Unknown vault format.", field="exported_json")
    entries = exported_json.get("prompts")
    if not isinstance(entries, list) or len(entries) > VAULT_MAX_PROMPTS:
        raise InvalidSignature("The vault's prompt list is malformed.", field="exported_json")
    for i, entry in enumerate(entries):
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("title"), str)
            and 0 < len(entry["title"]) <= 150
            and isinstance(entry.get("body"), str)
            and len(entry["body"]) <= 20_000
            and isinstance(entry.get("tags"), list)
            and len(entry["tags"]) <= 20
            and all(isinstance(t, str) and 0 < len(t) <= 50 for t in entry["tags"])
            and isinstance(entry.get("content_hash"), str)
            and hmac.compare_digest(
                content_hash(entry["body"]).encode(), entry["content_hash"].encode("utf-8")
            )
        )
        if not ok:
            raise InvalidSignature(
                f"Prompt {i} does not match its content hash.", field="exported_json"
            )
    return entries


def _vault_versions_verify(*, entries: list[dict], user: User) -> None:
    """An entry naming a source prompt the importer may see and a version of it carries that
    version's content hash (one query); a mismatch is 400 ``invalid_signature``. Sources that
    are gone or hidden are not checked: their text stands on the signature alone."""
    wanted = Q()
    for e in entries:
        source, number = e.get("source_id"), e.get("version")
        if type(source) is int and type(number) is int:
            wanted |= Q(prompt_id=source, number=number)
    if not wanted:
        return
    known: dict[tuple[Any, Any], str] = {
        (v.prompt_id, v.number): v.content_hash
        for v in PromptVersion.objects.filter(wanted, prompt__in=prompts_visible_to(user)).only(
            "prompt_id", "number", "content_hash"
        )
    }
    for i, e in enumerate(entries):
        expected = known.get((e.get("source_id"), e.get("version")))
        if expected is not None and expected != e["content_hash"]:
            raise InvalidSignature(
                f"Prompt {i} does not match version {e['version']} of its source.",
                field="exported_json",
            )


@transaction.atomic
def vault_import(*, assistant: Assistant, exported_json: Any, symbolic_signature: str) -> list:
    """Create the prompts of a signed export for ``assistant``, all or none.

    The signature is compared in constant time and every content hash is checked first; any
    mismatch is 400 ``invalid_signature`` and nothing is created. An imported prompt is public
    only when ``bodies_publishable`` says its body may be (a bought body stays private, whoever
    imports it), as forks are.
    """
    expected = vault_signature(exported_json)
    if not hmac.compare_digest(expected.encode(), str(symbolic_signature).encode("utf-8")):
        raise InvalidSignature(field="symbolic_signature")
    entries = _vault_entries_verified(exported_json)
    _vault_versions_verify(entries=entries, user=assistant.owner)
    publishable = bodies_publishable(content_hashes=[e["content_hash"] for e in entries])
    return [
        prompt_create(
            author=assistant,
            title=e["title"],
            body=e["body"],
            tags=e["tags"],
            is_public=e["content_hash"] in publishable,
        )
        for e in entries
    ]


# --- Idempotency keys -------------------------------------------------------------------------


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_KEY_TTL (they are kept at least that long)."""
    cutoff = (now or timezone.now()) - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def idempotency_keys_release_stale(*, now: datetime | None = None) -> int:
    """Delete keys still ``in_progress`` after IDEMPOTENCY_STALE_SECONDS: their request died with
    its worker (its transaction rolled back), so the key is free for the client's retry."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS)
    deleted, _ = IdempotencyKey.objects.filter(
        state=IdempotencyKey.State.IN_PROGRESS, created_at__lt=cutoff
    ).delete()
    return deleted
