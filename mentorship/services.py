"""Writes of mentorship and the curriculum market. Keyword-only, one transaction each; each
docstring states the rule it enforces. They never see a request."""

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from core.events import event_emit
from core.exceptions import NotFound
from core.models import Assistant, Prompt, PromptLicence, Ritual
from core.services import codex_clauses_validate, licences_grant
from economy.exceptions import AlreadyOwned, CannotBuyOwn, ListingInactive, PriceChanged
from economy.models import LedgerEntry
from economy.money import format_cents
from economy.services import assistant_pay

from .exceptions import (
    AlignmentOutOfRange,
    CannotBarterOwn,
    CannotCloneOwn,
    CannotMentorSelf,
    NotAdopted,
    NotAMentor,
    NotYourCurriculum,
    OfferClosed,
    OfferStale,
    PromptNotOffered,
    PromptNotOwn,
    RitualNotOwn,
)
from .formulas import mentor_score_sum_trust_delta_over_n_plus_3
from .models import (
    AssistantMentorTag,
    BarterOffer,
    CurriculumAdoption,
    PromptCurriculumVault,
    PromptMentorshipLog,
    RitualTagBundle,
)
from .selectors import curricula_for_export, curriculum_licensable_prompt_ids

EXPORT_FORMAT_VERSION = 1


# Mentorship ---------------------------------------------------------------------------------


def _mentor_score_recompute(*, tag: AssistantMentorTag) -> AssistantMentorTag:
    """mentor_score from one aggregate over the mentor's mentorships that have feedback."""
    totals = PromptMentorshipLog.objects.filter(
        mentor_id=tag.assistant_id, feedback_at__isnull=False
    ).aggregate(total=Sum("trust_delta"), n=Count("id"))
    n = totals["n"] or 0
    tag.feedback_count = n
    tag.mentor_score = mentor_score_sum_trust_delta_over_n_plus_3(
        trust_delta_sum=totals["total"] or 0.0, n=n
    )
    AssistantMentorTag.objects.filter(pk=tag.pk).update(
        mentor_score=tag.mentor_score, feedback_count=n
    )
    return tag


@transaction.atomic
def mentor_tag_set(
    *, assistant: Assistant, mentorship_notes: str, offered_prompts: Sequence[Prompt]
) -> tuple[AssistantMentorTag, bool]:
    """Opt in as a mentor, or change notes and offered prompts. A mentor offers only its own
    public prompts. Returns the tag and whether it was created."""
    for prompt in offered_prompts:
        if prompt.author_id != assistant.pk or not prompt.is_public:
            raise PromptNotOwn(
                f"Prompt {prompt.pk} is not a public prompt of assistant {assistant.pk}.",
                field="offered_prompts",
            )
    created = False
    tag = AssistantMentorTag.objects.select_for_update().filter(assistant=assistant).first()
    if tag is None:
        try:
            with transaction.atomic():
                tag = AssistantMentorTag.objects.create(
                    assistant=assistant, mentorship_notes=mentorship_notes
                )
            created = True
        except IntegrityError:  # a concurrent opt-in won the race: update that one
            tag = AssistantMentorTag.objects.select_for_update().get(assistant=assistant)
    if not created:
        tag.mentorship_notes = mentorship_notes
        tag.save(update_fields=["mentorship_notes", "updated_at"])
    tag.offered_prompts.set(offered_prompts)
    if created:
        _mentor_score_recompute(tag=tag)  # feedback from before an opt-out still counts
    return tag, created


@transaction.atomic
def mentor_tag_delete(*, assistant: Assistant) -> None:
    """Opt out: the tag goes, the mentorship logs (and their feedback) stay."""
    deleted, _ = AssistantMentorTag.objects.filter(assistant=assistant).delete()
    if not deleted:
        raise NotFound("This assistant is not a mentor.")


@transaction.atomic
def mentorship_adopt(
    *,
    mentor: Assistant,
    mentee: Assistant,
    mutation_notes: str = "",
    prompts: Sequence[Prompt] | None = None,
) -> PromptMentorshipLog:
    """The mentee adopts a prompt set from a mentor: ``prompts`` ⊆ what the mentor offers
    (default: all of it). Records a PromptMentorshipLog with the set and the mutation notes and
    gives the mentee a licence (source ``mentorship``) to each prompt, all in one transaction."""
    if mentor.owner_id == mentee.owner_id:
        # Any assistant of the mentor's own user: feedback would inflate its own mentor score.
        raise CannotMentorSelf(field="mentee")
    tag = AssistantMentorTag.objects.filter(assistant=mentor).first()
    if tag is None:
        raise NotAMentor()
    # Only offers that are still public can be adopted (one made private since is withdrawn).
    offered = set(tag.offered_prompts.filter(is_public=True).values_list("id", flat=True))
    if prompts is None:
        prompt_ids = sorted(offered)
    else:
        prompt_ids = sorted({p.pk for p in prompts})
        missing = [pid for pid in prompt_ids if pid not in offered]
        if missing:
            raise PromptNotOffered(
                f"Not offered by this mentor: {', '.join(map(str, missing))}.", field="prompts"
            )
    log = PromptMentorshipLog.objects.create(
        mentor=mentor, mentee=mentee, mutation_notes=mutation_notes
    )
    log.prompt_set.set(prompt_ids)
    licences_grant(
        assistant_id=mentee.pk, prompt_ids=prompt_ids, source=PromptLicence.Source.MENTORSHIP
    )
    event_emit(
        type="mentorship.adopted",
        data={
            "mentorship": log.pk,
            "mentor": mentor.pk,
            "mentee": mentee.pk,
            "prompts": prompt_ids,
        },
        recipients=[mentor.owner_id, mentee.owner_id],
    )
    return log


@transaction.atomic
def mentorship_feedback(*, log: PromptMentorshipLog, trust_delta: float) -> PromptMentorshipLog:
    """The mentee's trust feedback in [-1, 1]; giving it again replaces it. The mentor's score
    is recomputed in the same transaction, with the tag row locked so that concurrent feedback
    on the same mentor is applied one after the other."""
    if not (math.isfinite(trust_delta) and -1.0 <= trust_delta <= 1.0):
        raise AlignmentOutOfRange("trust_delta must be in [-1, 1].", field="trust_delta")
    tag = AssistantMentorTag.objects.select_for_update().filter(assistant_id=log.mentor_id).first()
    now = timezone.now()
    PromptMentorshipLog.objects.filter(pk=log.pk).update(trust_delta=trust_delta, feedback_at=now)
    log.trust_delta, log.feedback_at = trust_delta, now
    if tag is not None:
        _mentor_score_recompute(tag=tag)
    event_emit(
        type="mentorship.feedback",
        data={
            "mentorship": log.pk,
            "mentor": log.mentor_id,
            "mentee": log.mentee_id,
            "trust_delta": trust_delta,
        },
        recipients=[log.mentor.owner_id],
    )
    return log


# Ritual tag bundles ------------------------------------------------------------------------


def _bundle_rituals_validate(*, owner: Assistant, rituals: Sequence[Ritual]) -> None:
    for ritual in rituals:
        if ritual.owner.owner_id != owner.owner_id:
            raise RitualNotOwn(
                f"Ritual {ritual.pk} does not belong to the bundle owner's user.", field="rituals"
            )


@transaction.atomic
def bundle_create(
    *,
    owner: Assistant,
    tag_name: str,
    rituals: Sequence[Ritual] = (),
    codex_clauses: Sequence[str] = (),
) -> RitualTagBundle:
    """A bundle tags rituals of its owner's user; its codex clauses must exist."""
    codex_clauses_validate(codex_clauses)
    _bundle_rituals_validate(owner=owner, rituals=rituals)
    bundle = RitualTagBundle.objects.create(
        owner=owner, tag_name=tag_name, codex_clauses=list(codex_clauses)
    )
    bundle.rituals.set(rituals)
    return bundle


@transaction.atomic
def bundle_update(
    *, bundle: RitualTagBundle, rituals: Sequence[Ritual] | None = None, **fields
) -> RitualTagBundle:
    """Change a bundle; every curriculum containing it gets its exported_json rebuilt."""
    if "codex_clauses" in fields:
        codex_clauses_validate(fields["codex_clauses"])
        fields["codex_clauses"] = list(fields["codex_clauses"])
    for key, value in fields.items():
        setattr(bundle, key, value)
    bundle.save()
    if rituals is not None:
        _bundle_rituals_validate(owner=bundle.owner, rituals=rituals)
        bundle.rituals.set(rituals)
    curricula_export_rebuild(curriculum_ids=list(bundle.curricula.values_list("id", flat=True)))
    return bundle


@transaction.atomic
def bundle_delete(*, bundle: RitualTagBundle) -> None:
    """Delete a bundle; the curricula that contained it are re-exported without it."""
    curriculum_ids = list(bundle.curricula.values_list("id", flat=True))
    bundle.delete()
    curricula_export_rebuild(curriculum_ids=curriculum_ids)


# Curricula ----------------------------------------------------------------------------------


def codex_alignment_validate(alignment: Mapping) -> dict[str, float]:
    """codex_alignment maps existing clause codes to numbers in [0, 1]."""
    clean: dict[str, float] = {}
    for code, value in alignment.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, int) and not 0 <= value <= 1)
            or not math.isfinite(value)
            or not 0 <= value <= 1
        ):
            raise AlignmentOutOfRange(
                f"codex_alignment[{code!r}] must be a number in [0, 1].", field="codex_alignment"
            )
        clean[str(code)] = value
    codex_clauses_validate(list(clean), field="codex_alignment")
    return clean


def curriculum_export_build(curriculum: PromptCurriculumVault) -> dict:
    """The snapshot of a curriculum: its bundles, their rituals and each ritual's prompt steps.

    Steps name the prompt by id, title and content hash, never its body (bodies are what a
    licence buys); a private prompt is named by id only. ``curriculum`` must come from
    ``curricula_for_export()`` so this costs no query.
    """
    bundles = []
    for bundle in curriculum.ritual_tags.all():
        rituals = []
        for ritual in bundle.rituals.all():
            steps = []
            for step in ritual.steps.all():
                entry: dict = {"position": step.position, "prompt": step.prompt_id}
                if step.prompt.is_public:
                    entry.update(title=step.prompt.title, content_hash=step.prompt.content_hash)
                steps.append(entry)
            rituals.append(
                {
                    "id": ritual.pk,
                    "name": ritual.name,
                    "description": ritual.description,
                    "codex_clauses": list(ritual.codex_clauses),
                    "steps": steps,
                }
            )
        bundles.append(
            {
                "id": bundle.pk,
                "tag_name": bundle.tag_name,
                "codex_clauses": list(bundle.codex_clauses),
                "rituals": rituals,
            }
        )
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "curriculum": {
            "id": curriculum.pk,
            "title": curriculum.curriculum_title,
            "curator": curriculum.curator_id,
            "codex_alignment": dict(sorted(curriculum.codex_alignment.items())),
        },
        "bundles": bundles,
    }


def curricula_export_rebuild(*, curriculum_ids: Sequence[int]) -> dict[int, dict]:
    """Rebuild exported_json of these curricula (a constant number of queries for any count).
    Returns the new snapshots by curriculum id."""
    if not curriculum_ids:
        return {}
    # Lock the rows first, in id order (no deadlock between two rebuilds): a second rebuild of a
    # curriculum waits, then reads what the first committed, so neither change is lost.
    ids = sorted(set(curriculum_ids))
    list(
        PromptCurriculumVault.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk")
    )
    curricula = list(curricula_for_export().filter(pk__in=ids))
    for curriculum in curricula:
        curriculum.exported_json = curriculum_export_build(curriculum)
    PromptCurriculumVault.objects.bulk_update(curricula, ["exported_json"], batch_size=500)
    return {c.pk: c.exported_json for c in curricula}


@transaction.atomic
def curriculum_create(
    *,
    curator: Assistant,
    curriculum_title: str,
    ritual_tags: Sequence[RitualTagBundle] = (),
    codex_alignment: Mapping | None = None,
    token_cost_cents: int = 0,
    is_active: bool = True,
    cloned_from: PromptCurriculumVault | None = None,
) -> PromptCurriculumVault:
    """A curriculum of ritual bundles; codex_alignment keys must be clauses, values in [0, 1].
    exported_json is built in the same transaction."""
    alignment = codex_alignment_validate(codex_alignment or {})
    curriculum = PromptCurriculumVault.objects.create(
        curator=curator,
        curriculum_title=curriculum_title,
        codex_alignment=alignment,
        token_cost_cents=token_cost_cents,
        is_active=is_active,
        cloned_from=cloned_from,
    )
    curriculum.ritual_tags.set(ritual_tags)
    curriculum.exported_json = curricula_export_rebuild(curriculum_ids=[curriculum.pk])[
        curriculum.pk
    ]
    return curriculum


@transaction.atomic
def curriculum_update(
    *,
    curriculum: PromptCurriculumVault,
    ritual_tags: Sequence[RitualTagBundle] | None = None,
    **fields,
) -> PromptCurriculumVault:
    """The curator changes its curriculum; exported_json is rebuilt in the same transaction."""
    if "codex_alignment" in fields:
        fields["codex_alignment"] = codex_alignment_validate(fields["codex_alignment"])
    for key, value in fields.items():
        setattr(curriculum, key, value)
    # Name the columns: a full save would write back a stale adopter_count over a concurrent buy.
    curriculum.save(update_fields=[*fields.keys()])
    if ritual_tags is not None:
        curriculum.ritual_tags.set(ritual_tags)
    curriculum.exported_json = curricula_export_rebuild(curriculum_ids=[curriculum.pk])[
        curriculum.pk
    ]
    return curriculum


@transaction.atomic
def curriculum_delete(*, curriculum: PromptCurriculumVault) -> None:
    """A curriculum somebody adopted cannot be deleted (409 ``protected``): delist it instead."""
    curriculum.delete()


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


def curriculum_state_marker(curriculum: PromptCurriculumVault) -> str:
    """SHA-256 of what a barter swaps: cost, activity, alignment and the exported snapshot (its
    bundles, rituals and prompt steps, rebuilt on every change). Equal markers: same deal."""
    state = {
        "token_cost_cents": curriculum.token_cost_cents,
        "is_active": curriculum.is_active,
        "codex_alignment": curriculum.codex_alignment,
        "exported_json": curriculum.exported_json,
    }
    raw = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


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
