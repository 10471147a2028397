"""Refunds of purchases: the window, the used-it checks, the reversal."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.events import event_emit
from core.models import Prompt, PromptLicence

from ..exceptions import (
    AlreadyRefunded,
    RefundNotAllowed,
)
from ..models import (
    LedgerEntry,
    ListingAdoption,
    PromptMarketplaceVault,
    PromptTokenListing,
    Purchase,
)
from ..money import format_cents
from .wallets import assistant_pay

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
