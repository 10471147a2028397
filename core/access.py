"""The prompt access rules, one definition each (SPEC 2 and 7).

- *may see the prompt*: it is public, or the user's own (an assistant of the user wrote it), or
  one of the user's assistants holds an active licence to it, or the user is staff. Anything
  else is absent: a 404, the same as a prompt that does not exist.
- *may see the body* of a version: the user is staff or the author's owner; or the prompt is
  public and not for sale; or one of the user's assistants holds an active licence granted at
  that version or an earlier one. For the newest version any active licence qualifies, since
  versions only grow.
- *may use the body* (fork, ritual step, vault, mentorship offer, mutation parent) as an
  assistant: the prompt is the assistant's own user's; or it is public and not for sale; or
  that assistant holds an active licence.

Each rule is a ``Q`` built here (``prefix`` is the path from the queried model to the prompt,
"" or "prompt__"); the per-object forms evaluate the same ``Q`` for one row, so a list, a
detail and an action can never disagree.
"""

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from .models import Assistant, Prompt, PromptLicence, PromptVersion

AnyUser = User | AnonymousUser


def _is_staff(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def _licence_held(*, holder: Q, prefix: str, number_ref: str | None = None) -> Q:
    """An active licence to the prompt at ``prefix`` held by ``holder`` (a Q on PromptLicence),
    granted at the version numbered ``number_ref`` (a field of the outer row) or before."""
    licences = PromptLicence.objects.filter(
        holder, prompt=OuterRef(f"{prefix}pk"), state=PromptLicence.State.ACTIVE
    )
    if number_ref is not None:
        licences = licences.filter(version__number__lte=OuterRef(number_ref))
    return Q(Exists(licences))


def _free(prefix: str) -> Q:
    """Public and not for sale: the body is open to everyone who sees the prompt."""
    return Q(**{f"{prefix}is_public": True, f"{prefix}is_for_sale": False})


def prompt_visible_q(user: AnyUser, *, prefix: str = "") -> Q:
    """*May see the prompt* (module docstring)."""
    if _is_staff(user):
        return Q()
    q = Q(**{f"{prefix}is_public": True})
    if user.is_authenticated:
        q |= Q(**{f"{prefix}author__owner": user})
        q |= _licence_held(holder=Q(assistant__owner=user), prefix=prefix)
    return q


def body_visible_q(user: AnyUser, *, prefix: str = "", number_ref: str | None = None) -> Q:
    """*May see the body* (module docstring) of the prompt's newest version, or with
    ``number_ref`` of the version whose number is that field of the row."""
    if _is_staff(user):
        return Q()
    q = _free(prefix)
    if user.is_authenticated:
        q |= Q(**{f"{prefix}author__owner": user})
        q |= _licence_held(holder=Q(assistant__owner=user), prefix=prefix, number_ref=number_ref)
    return q


def prompt_usable_q(assistant: Assistant, *, prefix: str = "") -> Q:
    """*May use the body* (module docstring) as ``assistant``."""
    return (
        Q(**{f"{prefix}author__owner_id": assistant.owner_id})
        | _free(prefix)
        | _licence_held(holder=Q(assistant=assistant), prefix=prefix)
    )


def as_boolean(q: Q) -> Value | ExpressionWrapper:
    """A rule's Q as an annotation (an empty Q, staff's, is simply true)."""
    if not q:
        return Value(True, output_field=BooleanField())
    return ExpressionWrapper(q, output_field=BooleanField())


# --- Sets -------------------------------------------------------------------------------------


def prompts_visible_to(user: AnyUser) -> QuerySet[Prompt]:
    """The prompts ``user`` may see; the rest are simply absent (a 404)."""
    return Prompt.objects.filter(prompt_visible_q(user))


def prompts_annotate_body_visible(qs: QuerySet[Prompt], user: AnyUser) -> QuerySet[Prompt]:
    """Annotate ``body_visible``: may ``user`` see the body of each prompt's newest version."""
    return qs.annotate(body_visible=as_boolean(body_visible_q(user)))


def versions_visible_to(user: AnyUser, *, prompt: Prompt) -> QuerySet[PromptVersion]:
    """The versions of a prompt ``user`` may see, with ``body_visible`` per version."""
    return PromptVersion.objects.filter(prompt=prompt).annotate(
        body_visible=as_boolean(body_visible_q(user, prefix="prompt__", number_ref="number"))
    )


# --- One object -------------------------------------------------------------------------------


def prompt_usable_by(*, prompt: Prompt, assistant: Assistant) -> bool:
    """*May use the body*, for one prompt (one query)."""
    return Prompt.objects.filter(prompt_usable_q(assistant), pk=prompt.pk).exists()


def prompts_unusable_by(*, prompts: Sequence[Prompt], assistant: Assistant) -> list[Prompt]:
    """Those of ``prompts`` whose body ``assistant`` may not use, in one query."""
    ids = [p.pk for p in prompts]
    if not ids:
        return []
    usable = set(
        Prompt.objects.filter(prompt_usable_q(assistant), pk__in=ids).values_list("pk", flat=True)
    )
    return [p for p in prompts if p.pk not in usable]


def bodies_publishable(*, content_hashes: Iterable[str]) -> set[str]:
    """Of these bodies (by content hash), those a copy of which may be public: the ones some
    public prompt that is not for sale already shows to everyone (the ``_free`` rule), in one
    query.

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
        Prompt.objects.filter(_free(""), content_hash__in=wanted)
        .values_list("content_hash", flat=True)
        .distinct()
    )
