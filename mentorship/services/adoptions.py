"""Adopting a curriculum: buying or cloning it, and the adoption record barters share."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from core.events import event_emit
from core.models import Assistant, PromptLicence
from core.services import licences_grant
from economy.exceptions import AlreadyOwned, CannotBuyOwn, ListingInactive, PriceChanged
from economy.models import LedgerEntry
from economy.money import format_cents
from economy.services import assistant_pay

from ..exceptions import (
    CannotCloneOwn,
    NotAdopted,
)
from ..models import (
    CurriculumAdoption,
    PromptCurriculumVault,
)
from ..selectors import curriculum_licensable_prompt_ids
from .curricula import curriculum_create


def _curriculum_adopt(
    *, curriculum: PromptCurriculumVault, assistant: Assistant, source: str
) -> bool:
    """Record an adoption (one per assistant and curriculum). A new one raises adopter_count
    by one and gives licences to the curriculum's licensable step prompts. Returns whether it
    was new. Callers hold a transaction."""
    try:
        with transaction.atomic():
            CurriculumAdoption.objects.create(
                curriculum=curriculum, assistant=assistant, source=source
            )
    except IntegrityError:
        return False
    PromptCurriculumVault.objects.filter(pk=curriculum.pk).update(
        adopter_count=F("adopter_count") + 1
    )
    licences_grant(
        assistant_id=assistant.pk,
        prompt_ids=curriculum_licensable_prompt_ids(curriculum),
        source=PromptLicence.Source.CURRICULUM,
    )
    return True


@dataclass
class CurriculumSale:
    """What ``curriculum_buy`` did, read inside its transaction."""

    entry: LedgerEntry | None
    price_cents: int
    buyer_balance_cents: int


@transaction.atomic
def curriculum_buy(
    *, curriculum: PromptCurriculumVault, buyer: Assistant, expected_price: int | None = None
) -> CurriculumSale:
    """Buy a curriculum: a ``curriculum_purchase`` ledger entry buyer → curator for its cost,
    an adoption and licences to its step prompts, all or nothing. Conflicts: inactive
    (``listing_inactive``), a pinned ``expected_price`` other than the cost now
    (``price_changed``, nothing charged), adopted before (``already_owned``), too poor
    (``insufficient_funds``, nothing changes); buying from your own user is a 400.

    The curriculum row is locked and re-read, so a concurrent delist or reprice by its curator
    is either seen here or waits for the purchase; the price answered is the locked row's."""
    curriculum = (
        PromptCurriculumVault.objects.select_for_update(of=("self",))
        .select_related("curator")
        .get(pk=curriculum.pk)
    )
    if buyer.owner_id == curriculum.curator.owner_id:
        raise CannotBuyOwn("An assistant cannot buy its own user's curriculum.")
    if not curriculum.is_active:
        raise ListingInactive("The curriculum is not on the market.")
    if expected_price is not None and expected_price != curriculum.token_cost_cents:
        raise PriceChanged(field="expected_price")
    if not _curriculum_adopt(
        curriculum=curriculum, assistant=buyer, source=CurriculumAdoption.Source.PURCHASE
    ):
        raise AlreadyOwned("The assistant has already adopted this curriculum.")
    transfer = assistant_pay(
        payer=buyer,
        payee_id=curriculum.curator_id,
        amount_cents=curriculum.token_cost_cents,
        kind=LedgerEntry.Kind.CURRICULUM_PURCHASE,
        reference=f"curriculum:{curriculum.pk}",
    )
    event_emit(
        type="curriculum.bought",
        data={
            "curriculum": curriculum.pk,
            "curator": curriculum.curator_id,
            "buyer": buyer.pk,
            "price": format_cents(curriculum.token_cost_cents),
        },
        recipients=[curriculum.curator.owner_id, buyer.owner_id],
    )
    return CurriculumSale(
        entry=transfer.entry,
        price_cents=curriculum.token_cost_cents,
        buyer_balance_cents=transfer.payer_balance_cents,
    )


@transaction.atomic
def curriculum_clone(
    *, curriculum: PromptCurriculumVault, assistant: Assistant
) -> PromptCurriculumVault:
    """Copy a curriculum for ``assistant``, who becomes the copy's curator (same bundles and
    alignment, free until repriced). Allowed for free active curricula and for ones the
    assistant has adopted; a first clone counts as an adoption of the original."""
    curriculum = (
        PromptCurriculumVault.objects.select_for_update(of=("self",))
        .select_related("curator")
        .get(pk=curriculum.pk)
    )
    if assistant.owner_id == curriculum.curator.owner_id:
        raise CannotCloneOwn()
    adopted = CurriculumAdoption.objects.filter(curriculum=curriculum, assistant=assistant).exists()
    if not adopted:
        if curriculum.token_cost_cents > 0:
            raise NotAdopted()
        if not curriculum.is_active:
            raise ListingInactive("The curriculum is not on the market.")
        _curriculum_adopt(
            curriculum=curriculum, assistant=assistant, source=CurriculumAdoption.Source.CLONE
        )
    clone = curriculum_create(
        curator=assistant,
        curriculum_title=curriculum.curriculum_title,
        ritual_tags=list(curriculum.ritual_tags.all()),
        codex_alignment=curriculum.codex_alignment,
        token_cost_cents=0,
        cloned_from=curriculum,
    )
    event_emit(
        type="curriculum.cloned",
        data={
            "curriculum": curriculum.pk,
            "curator": curriculum.curator_id,
            "clone": clone.pk,
            "assistant": assistant.pk,
        },
        recipients=[curriculum.curator.owner_id, assistant.owner_id],
    )
    return clone
