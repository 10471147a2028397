"""Adopting a listing: buying its body (a purchase and a licence) or injecting it."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from core.events import event_emit
from core.exceptions import NotLicensed
from core.models import Assistant, Prompt, PromptLicence, PromptVersion

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
)
from ..money import format_cents
from .wallets import assistant_pay


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
