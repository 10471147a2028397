from rest_framework import exceptions, pagination

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


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return page_size_from(request, self.page_size)

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

    def get_page_size(self, request) -> int:
        return page_size_from(request, self.page_size)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == "page_size":
                param["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
        return params


class AscendingCursorPagination(CursorPagination):
    ordering = "id"
