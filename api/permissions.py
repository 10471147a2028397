from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticatedOrReadOnly


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
        if request.user.is_staff or view.owner_user_id(obj) == request.user.id:
            return True
        raise exceptions.PermissionDenied("You do not own this.", "not_owner")


def check_owner(request, owner_user_id: int, *, code: str = "not_owner") -> None:
    """Raise 403 unless the request's user is the given owner or staff."""
    user = request.user
    if not (user.is_authenticated and (user.is_staff or user.id == owner_user_id)):
        raise exceptions.PermissionDenied("You do not own this.", code)
