"""Barter offers: one curriculum offered for another; accepting swaps adoptions."""

from django.db import transaction
from django.utils import timezone

from core.events import event_emit
from core.models import Assistant
from economy.exceptions import ListingInactive

from ..exceptions import (
    CannotBarterOwn,
    NotYourCurriculum,
    OfferClosed,
    OfferStale,
)
from ..models import (
    BarterOffer,
    CurriculumAdoption,
    PromptCurriculumVault,
)
from .adoptions import _curriculum_adopt
from .curricula import curriculum_state_marker


@transaction.atomic
def barter_offer_create(
    *,
    target_curriculum: PromptCurriculumVault,
    offerer: Assistant,
    offered_curriculum: PromptCurriculumVault,
) -> BarterOffer:
    """Offer one's own curriculum in exchange for another user's active curriculum. The offer
    records both curricula's ``curriculum_state_marker`` (accept re-checks them)."""
    if offered_curriculum.curator_id != offerer.pk:
        raise NotYourCurriculum(field="offered_curriculum")
    if target_curriculum.curator.owner_id == offerer.owner_id:
        raise CannotBarterOwn()
    if not target_curriculum.is_active:
        raise ListingInactive("The curriculum is not on the market.")
    if not offered_curriculum.is_active:  # it could never be accepted (offer_stale)
        raise ListingInactive(
            "The offered curriculum is not on the market.", field="offered_curriculum"
        )
    offer = BarterOffer.objects.create(
        offerer=offerer,
        offered_curriculum=offered_curriculum,
        target_curriculum=target_curriculum,
        offered_state=curriculum_state_marker(offered_curriculum),
        target_state=curriculum_state_marker(target_curriculum),
    )
    _barter_event_emit(offer=offer, type="barter.offered")
    return offer


def _barter_event_emit(*, offer: BarterOffer, type: str) -> None:
    """Every step of a barter is told to both parties: the offerer's and the target curator's
    owners."""
    target = offer.target_curriculum
    event_emit(
        type=type,
        data={
            "offer": offer.pk,
            "offerer": offer.offerer_id,
            "offered_curriculum": offer.offered_curriculum_id,
            "target_curriculum": target.pk,
            "target_curator": target.curator_id,
        },
        recipients=[offer.offerer.owner_id, target.curator.owner_id],
    )


def _barter_close(*, offer: BarterOffer, status: str) -> None:
    """Leave ``pending`` by one conditional UPDATE: of concurrent accept/decline/cancel calls
    exactly one changes the row; the others see 0 rows and get ``offer_closed``."""
    now = timezone.now()
    changed = BarterOffer.objects.filter(pk=offer.pk, status=BarterOffer.Status.PENDING).update(
        status=status, decided_at=now
    )
    if not changed:
        raise OfferClosed()
    offer.status, offer.decided_at = status, now


@transaction.atomic
def barter_offer_accept(*, offer: BarterOffer) -> BarterOffer:
    """Accept a pending offer: the offerer adopts the target curriculum and the target's
    curator adopts the offered one, in the transaction that closes the offer.

    Both curricula are locked (in id order, so crossing offers queue instead of deadlocking)
    and must be active and unchanged since the offer (their ``curriculum_state_marker``):
    409 ``offer_stale`` otherwise, and the offer stays pending (the close rolls back)."""
    _barter_close(offer=offer, status=BarterOffer.Status.ACCEPTED)
    ids = sorted({offer.offered_curriculum_id, offer.target_curriculum_id})
    locked = {
        c.pk: c
        for c in PromptCurriculumVault.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    offered = locked[offer.offered_curriculum_id]
    target = locked[offer.target_curriculum_id]
    # Both were active at offer time and the marker covers is_active: inactive now is changed.
    if (curriculum_state_marker(offered), curriculum_state_marker(target)) != (
        offer.offered_state,
        offer.target_state,
    ):
        raise OfferStale()
    _curriculum_adopt(
        curriculum=target,
        assistant=offer.offerer,
        source=CurriculumAdoption.Source.BARTER,
    )
    _curriculum_adopt(
        curriculum=offered,
        assistant=offer.target_curriculum.curator,
        source=CurriculumAdoption.Source.BARTER,
    )
    _barter_event_emit(offer=offer, type="barter.accepted")
    return offer


@transaction.atomic
def barter_offer_decline(*, offer: BarterOffer) -> BarterOffer:
    """The target's curator turns a pending offer down."""
    _barter_close(offer=offer, status=BarterOffer.Status.DECLINED)
    _barter_event_emit(offer=offer, type="barter.declined")
    return offer


@transaction.atomic
def barter_offer_cancel(*, offer: BarterOffer) -> BarterOffer:
    """The offerer withdraws a pending offer."""
    _barter_close(offer=offer, status=BarterOffer.Status.CANCELLED)
    _barter_event_emit(offer=offer, type="barter.cancelled")
    return offer
