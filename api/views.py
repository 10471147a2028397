from django.http import HttpRequest, JsonResponse

from .request_id import get_request_id


def _error(status: int, code: str, detail: str) -> JsonResponse:
    body: dict = {
        "type": "client_error" if status < 500 else "server_error",
        "errors": [{"code": code, "detail": detail, "attr": None}],
    }
    if status >= 500:  # the id an operator finds the logged traceback by
        body["request_id"] = get_request_id()
    return JsonResponse(body, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Unknown URLs answer in the API's error shape, not Django's HTML page."""
    return _error(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    return _error(500, "error", "Server Error (500)")
