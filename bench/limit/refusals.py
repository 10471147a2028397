"""The limit's refusals in the API's one error shape (``{"type", "errors": [{"code",
"detail", "attr"}]}``): ``Refused`` carries the whole answer (status, body, headers) up to the
WSGI call, and the helpers build the ones the handlers share (not found, the two 401s of knox,
not your assistant, and any domain exception with the status its class maps to)."""

from __future__ import annotations

from typing import Any

from core import exceptions as domain

Response = tuple[int, Any, list[tuple[str, str]]]


class Refused(Exception):
    """An answer in the API's one error shape."""

    def __init__(self, status: int, code: str, detail: str, attr: str | None = None, **kw):
        super().__init__(detail)
        kind = "validation_error" if status == 400 else "client_error"
        self.response: Response = (
            status,
            {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]},
            kw.get("headers", []),
        )


def domain_refusal(exc: type[domain.DomainError], field: str | None = None, detail=None):
    status = 400
    if issubclass(exc, domain.Forbidden):
        status = 403
    elif issubclass(exc, domain.Conflict):
        status = 409
    return Refused(status, exc.code, detail or exc.message, field)


def not_found() -> Refused:
    return Refused(404, "not_found", "Not found.")


def not_authenticated() -> Refused:
    return Refused(
        401,
        "not_authenticated",
        "Authentication credentials were not provided.",
        headers=[("WWW-Authenticate", "Token")],
    )


def auth_failed(detail: str = "Invalid token.") -> Refused:
    return Refused(401, "authentication_failed", detail, headers=[("WWW-Authenticate", "Token")])


def not_your_assistant(pk: int) -> Refused:
    return Refused(403, "not_your_assistant", f"You do not own assistant {pk}.")
