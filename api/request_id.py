"""The request id of the request being served, for logs, responses and 5xx bodies.

Kept in a context variable (set by ``api.middleware.RequestIdMiddleware``) so any code, in any
layer, logs it without passing it around; a log record factory stamps it on every record.
Imports nothing from Django so logging can be configured before the apps load.
"""

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
# Well-formed: 1-128 characters of letters, digits, dot, underscore and hyphen (UUIDs, trace
# ids, balancer ids). Anything else (spaces, quotes, newlines, longer) could forge or break a
# log line, so it is replaced by a generated id.
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,128}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_from(header_value: str | None) -> str:
    """The caller's id when well-formed, else a new one (32 hex digits)."""
    if header_value is not None and WELL_FORMED.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def get_request_id() -> str | None:
    return _current.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _current.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _current.reset(token)


def install_log_record_factory() -> None:
    """Stamp ``request_id`` on every log record (None outside a request), whatever handler
    formats it; idempotent."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stamps_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = _current.get()
        return record

    factory.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """For handlers configured before the factory is installed: adds the id if missing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True
