"""Reads of the economy that other layers build on."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from core.models import Assistant, Prompt

from .models import PromptLicence, PromptTokenListing


def paid_listing_exists() -> Exists:
    return Exists(
        PromptTokenListing.objects.filter(
            prompt=OuterRef("pk"), is_active=True, token_cost_cents__gt=0
        )
    )


def prompts_annotate_access(qs: QuerySet[Prompt], user: User | AnonymousUser) -> QuerySet[Prompt]:
    """Annotate ``is_for_sale`` (an active listing with cost > 0) and ``body_visible``.

    A prompt for sale shows its body only to its author's owner, to holders of a licence (any of
    the user's assistants) and to staff; every other prompt the user can see shows its body.
    """
    qs = qs.annotate(is_for_sale=paid_listing_exists())
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
