"""Who may do what: the one ownership rule of the API and the checks built on it."""

from django.shortcuts import get_object_or_404
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticatedOrReadOnly

from core.models import Assistant


def is_owner(user, owner_user_id: int | None) -> bool:
    """The ownership rule: the user owns the thing, or is staff (who may act for anyone)."""
    return bool(user and user.is_authenticated and (user.is_staff or user.id == owner_user_id))


def check_owner(request, owner_user_id: int, *, code: str = "not_owner") -> None:
    """Raise 403 ``code`` unless ``is_owner``."""
    if not is_owner(request.user, owner_user_id):
        raise exceptions.PermissionDenied("You do not own this.", code)


def check_acting_assistant(user, assistant: Assistant) -> Assistant:
    """The assistant a request acts as or reads privately: 403 ``not_your_assistant`` unless
    ``is_owner``. Assistants are public, so the 403 leaks nothing."""
    if not is_owner(user, assistant.owner_id):
        raise exceptions.PermissionDenied(
            f"You do not own assistant {assistant.pk}.", "not_your_assistant"
        )
    return assistant


def own_assistant_or_403(request, pk) -> Assistant:
    """The assistant named in the URL: 404 when absent, else ``check_acting_assistant``."""
    return check_acting_assistant(request.user, get_object_or_404(Assistant, pk=pk))


class ReadOnlyOrAuthenticated(IsAuthenticatedOrReadOnly):
    """Reads of public things are open; every write needs a user (401 otherwise)."""


class StaffWriteOrReadOnly(BasePermission):
    """Anyone reads; staff alone write (codex clauses)."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        return bool(request.user.is_staff)


class IsOwnerOrReadOnly(BasePermission):
    """Writes to an object need its owning user (or staff); 403 ``not_owner`` otherwise.

    The view tells who owns an object with ``owner_user_id(obj)``.
    """

    def has_object_permission(self, request, view, obj) -> bool:
        # Custom POST actions (fork, buy, ...) act *as an assistant* and check that instead.
        if request.method in SAFE_METHODS or request.method == "POST":
            return True
        check_owner(request, view.owner_user_id(obj))
        return True
