"""Adopting a listing: buying its body (a purchase and a licence) or injecting it."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from core.access import AnyUser, prompt_visible_q
from core.compiled import compiled_first, viewer_from, viewer_shape
from core.events import event_emit
from core.exceptions import NotFound, NotLicensed
from core.models import Assistant, PromptLicence, PromptVersion

from ..exceptions import (
    AlreadyOwned,
    CannotBuyOwn,
    ListingInactive,
    PriceChanged,
    VersionChanged,
)
from ..models import (
    AssistantPromptTrustMap,
    LedgerEntry,
    ListingAdoption,
    PromptInjection,
    PromptTokenListing,
    Purchase,
    Wallet,
)
from ..money import format_cents
from .adoptions import adoption_record, purchase_record
from .wallets import ledger_transfer


@dataclass
class Sale:
    """What ``listing_buy`` did, read inside its transaction: the purchase (with its version)
    and the buyer's balance the debit left."""

    purchase: Purchase
    buyer_balance_cents: int


def _licence_for_sale(*, buyer_id: int, prompt_id: int, version_id: int) -> int | None:
    """A purchase licence at ``version_id``, in one conditional INSERT: a new licence, or the
    one the buyer had refunded brought back to life at this version (one row per assistant and
    prompt). None when the buyer holds any other licence, or one a concurrent purchase just
    made (the INSERT waits on the unique index for it): 409 ``already_owned``."""
    table = connection.ops.quote_name(PromptLicence._meta.db_table)
    refunded, active, purchase = (
        PromptLicence.State.REFUNDED,
        PromptLicence.State.ACTIVE,
        PromptLicence.Source.PURCHASE,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (assistant_id, prompt_id, version_id, source, state, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (assistant_id, prompt_id) DO UPDATE "
            "SET state = excluded.state, version_id = excluded.version_id, source = excluded.source "
            f"WHERE {table}.state = %s RETURNING id",
            [
                buyer_id,
                prompt_id,
                version_id,
                purchase,
                active,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                refunded,
            ],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _newest(field: str) -> Subquery:
    return Subquery(
        PromptVersion.objects.filter(prompt_id=OuterRef("prompt_id"))
        .order_by("-number")
        .values(field)[:1]
    )


def _sale_read(*, listing_id: int, buyer_id: int, visible_to: AnyUser | None) -> QuerySet:
    """The listing row locked (of a prompt ``visible_to`` may see, when given) with what a sale
    needs: price, activity, seller and its owner, the newest version, both wallets."""
    locked = PromptTokenListing.objects.select_for_update(of=("self",), no_key=True)
    if visible_to is not None:
        locked = locked.filter(prompt_visible_q(visible_to, prefix="prompt__"))
    return (
        locked.filter(pk=listing_id)
        .annotate(
            version_id=_newest("pk"),
            version_number=_newest("number"),
            version_hash=_newest("content_hash"),
            buyer_wallet=Subquery(Wallet.objects.filter(assistant_id=buyer_id).values("pk")[:1]),
            seller_wallet=Subquery(
                Wallet.objects.filter(assistant_id=OuterRef("prompt__author_id")).values("pk")[:1]
            ),
        )
        .values(
            "prompt_id",
            "is_active",
            "token_cost_cents",
            "prompt__author_id",
            "prompt__author__owner_id",
            "version_id",
            "version_number",
            "version_hash",
            "buyer_wallet",
            "seller_wallet",
        )[:1]
    )


@transaction.atomic
def listing_buy(
    *,
    listing: PromptTokenListing | int,
    buyer: Assistant,
    visible_to: AnyUser | None = None,
    expected_price: int | None = None,
    expected_version: int | None = None,
) -> Sale:
    """Buy a licence to the listing's prompt at its newest version: a ledger entry buyer →
    seller for the price (none for a free listing), the licence and the ``Purchase`` record,
    all in one transaction.

    The listing row is locked first (with ``visible_to``, only a listing of a prompt that user
    may see: 404 ``not_found`` otherwise), read with its newest version and both wallets in the
    same statement, so price, activity and version are the ones charged; a pinned
    ``expected_price`` / ``expected_version`` (a version number) that differs from what is
    sold now is 409 ``price_changed`` / ``version_changed`` with nothing charged. 409
    ``listing_inactive`` for a delisted listing, ``already_owned`` when the buyer holds an
    active licence (also when a concurrent purchase won), ``insufficient_funds`` (nothing
    changes); 400 ``cannot_buy_own`` for the seller's user's own assistants.
    """
    listing_id = listing if isinstance(listing, int) else listing.pk
    # The read is compiled once per shape (who is looking decides which rules apply) and run
    # with this request's ids: the same statement every time, only its parameters change.
    shape, viewer_ids = viewer_shape(visible_to)

    def build(listing: int, buyer: int, viewer: int | None = None) -> QuerySet:
        return _sale_read(
            listing_id=listing, buyer_id=buyer, visible_to=viewer_from(visible_to, viewer)
        )

    sold = compiled_first(
        shape=f"listing_buy:{shape}",
        build=build,
        ids={"listing": listing_id, "buyer": buyer.pk, **viewer_ids},
    )
    if sold is None:
        raise NotFound("Not found.")
    if not sold["is_active"]:
        raise ListingInactive()
    price, seller_id, seller_owner_id = (
        sold["token_cost_cents"],
        sold["prompt__author_id"],
        sold["prompt__author__owner_id"],
    )
    if buyer.owner_id == seller_owner_id:
        raise CannotBuyOwn(field="buyer")
    if expected_price is not None and expected_price != price:
        raise PriceChanged(field="expected_price")
    # The newest committed version is what is sold (the licence opens it and every later one).
    if sold["version_id"] is None:  # every prompt has version 1 from its creation
        raise ValueError(f"prompt {sold['prompt_id']} has no version")
    version = PromptVersion(
        pk=sold["version_id"],
        prompt_id=sold["prompt_id"],
        number=sold["version_number"],
        content_hash=sold["version_hash"],
    )
    if expected_version is not None and expected_version != version.number:
        raise VersionChanged(field="expected_version")
    # The licence first: a concurrent purchase by the same buyer waits on the unique index and
    # then fails here, before it could be charged.
    licence_id = _licence_for_sale(
        buyer_id=buyer.pk, prompt_id=version.prompt_id, version_id=version.pk
    )
    if licence_id is None:
        raise AlreadyOwned()
    transfer = ledger_transfer(
        payer=sold["buyer_wallet"],
        payee=sold["seller_wallet"],
        amount_cents=price,
        kind=LedgerEntry.Kind.PROMPT_PURCHASE,
        reference=f"listing:{listing_id}",
    )
    purchase = Purchase(
        buyer=buyer,
        seller_id=seller_id,
        listing_id=listing_id,
        prompt_id=version.prompt_id,
        version=version,
        price_cents=price,
        ledger_entry=transfer.entry,
        licence_id=licence_id,
    )
    # The buyer's first licence of this prompt: its first adoption of the listing.
    purchase_record(purchase=purchase, seller_owner_id=seller_owner_id, buyer=buyer)
    event_emit(
        type="purchase.completed",
        data={
            "purchase": purchase.pk,
            "listing": listing_id,
            "prompt": version.prompt_id,
            "buyer": buyer.pk,
            "seller": seller_id,
            "licence": licence_id,
            "price": format_cents(price),
        },
        recipients=[buyer.owner_id, seller_owner_id],
    )
    return Sale(purchase=purchase, buyer_balance_cents=transfer.payer_balance_cents)


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
        adoption_record(
            listing_id=listing.pk,
            seller_owner_id=prompt.author.owner_id,
            assistant=assistant,
            kind=ListingAdoption.Kind.INJECTION,
        )
    return Injection(injection=injection, trust_map=trust_map, created=created)
