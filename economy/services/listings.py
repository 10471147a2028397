"""Market listings: list, reprice, delist; the prompt's market flags follow in the same transaction."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.events import event_emit
from core.models import Prompt
from core.unset import UNSET, Unset, given

from ..exceptions import (
    AlreadyListed,
    ListingInactive,
    PromptNotPublic,
)
from ..models import (
    PromptTokenListing,
)
from ..money import format_cents


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
        raise PromptNotPublic(field="prompt")
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
def listing_update(
    *,
    listing: PromptTokenListing,
    token_cost_cents: int | Unset = UNSET,
    symbolic_tag_weight: float | Unset = UNSET,
    codex_usage_score: float | Unset = UNSET,
) -> PromptTokenListing:
    """A seller may change price and scores of an active listing (409 ``listing_inactive``);
    only the fields given are written.

    One conditional UPDATE on ``is_active``: a listing delisted after the caller read it is
    never repriced, however the two interleave."""
    fields = given(
        token_cost_cents=token_cost_cents,
        symbolic_tag_weight=symbolic_tag_weight,
        codex_usage_score=codex_usage_score,
    )
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
