import hashlib
from functools import cached_property, lru_cache, partial

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from rest_framework import exceptions, pagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 100


def page_size_from(request, default: int) -> int:
    """``page_size`` from the query: 1..100, anything else is a 400 (never silently clamped)."""
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError(
            {
                "page_size": [
                    exceptions.ErrorDetail(
                        f"Must be an integer from 1 to {MAX_PAGE_SIZE}.", "invalid"
                    )
                ]
            }
        )
    return value


class CachedCountPaginator(Paginator):
    """Django's paginator, but a large COUNT(*) is not repeated on every page view.

    Counts below ``API_COUNT_CACHE_MIN_ROWS`` are exact on every request (they are cheap).
    A larger count is kept in the cache for ``API_COUNT_CACHE_SECONDS`` under ``count_key``
    (the list's path, filters and caller: see ``list_count_key``), so a hot list over millions
    of rows counts once per interval per filter set instead of once per request; such a count
    may lag behind by that many seconds.
    """

    def __init__(self, *args, count_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        ttl = getattr(settings, "API_COUNT_CACHE_SECONDS", 0)
        if not ttl or not self.count_key:
            return super().count
        cached = cache.get(self.count_key)
        if cached is not None:
            return cached
        value = super().count
        if value >= settings.API_COUNT_CACHE_MIN_ROWS:
            cache.set(self.count_key, value, ttl)
        return value

    def page(self, number):
        # Django clamps the slice to ``count``; with a cached count that would hide rows added
        # since, so the slice is always a full page (orphans are not used).
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)

    def _get_page(self, *args, **kwargs):
        return ListPage(*args, **kwargs)


class ListPage(Page):
    """Django's page, iterated as the list it holds (``Page`` is a ``Sequence``: its iteration
    calls ``__getitem__``, with its checks, once per row)."""

    def __iter__(self):
        if not isinstance(self.object_list, list):
            self.object_list = list(self.object_list)
        return iter(self.object_list)


NOT_FILTERS = {"page", "page_size", "ordering", "cursor", "format"}


def list_count_key(request) -> str:
    """What a list's count depends on: its path (nested routes carry their parent), its filters
    (not page, page_size or ordering) and who asks (visibility differs per user)."""
    params = sorted(
        (k, v) for k, values in request.query_params.lists() for v in values if k not in NOT_FILTERS
    )
    who = request.user.pk if request.user.is_authenticated else "anon"
    raw = f"{request.path}|{params!r}|{who}"
    return "list-count:" + hashlib.sha256(raw.encode()).hexdigest()


@lru_cache(maxsize=4096)
def page_link(url: str, param: str, number: int) -> str:
    """DRF's link to page ``number`` of the list at ``url`` (the first page has no ``param``),
    remembered: a hot list is asked for with the same few queries, so its links are parsed
    and encoded once per process, not on every request."""
    if number == 1:
        return remove_query_param(url, param)
    return replace_query_param(url, param, number)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_next_link(self):
        page = self.page
        return self._link(page.next_page_number() if page and page.has_next() else None)

    def get_previous_link(self):
        page = self.page
        return self._link(page.previous_page_number() if page and page.has_previous() else None)

    def _link(self, number: int | None) -> str | None:
        if number is None or self.request is None:
            return None
        return page_link(self.request.build_absolute_uri(), self.page_query_param, number)

    def get_page_size(self, request) -> int:
        return page_size_from(request, self.page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.django_paginator_class = partial(  # type: ignore[assignment]
            CachedCountPaginator, count_key=list_count_key(request)
        )
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == "page_size":
                param["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
            if param["name"] == "page":
                param["schema"].update({"minimum": 1})
        return params


class CursorPagination(pagination.CursorPagination):
    """For append-only feeds (ledger, ratings, reflections, mentorships): stable under inserts,
    no COUNT(*). Views set ``ordering``; the default is newest first."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def decode_cursor(self, request):
        """DRF trusts the position inside the cursor; a forged one (``p=abc``) would reach the
        query and fail there. Every feed orders by an integer column: anything else is a 404
        ``Invalid cursor``, like any other bad cursor."""
        return _decode_cursor_checked(self, request)

    def get_page_size(self, request) -> int:
        return page_size_from(request, self.page_size)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == "page_size":
                param["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
        return params


def _decode_cursor_checked(paginator, request):
    cursor = pagination.CursorPagination.decode_cursor(paginator, request)
    if cursor is not None and cursor.position is not None:
        try:
            position = int(cursor.position)
        except (TypeError, ValueError):
            raise exceptions.NotFound(paginator.invalid_cursor_message) from None
        if not -(2**63) < position < 2**63:
            raise exceptions.NotFound(paginator.invalid_cursor_message)
    return cursor


class AscendingCursorPagination(CursorPagination):
    ordering = "id"
