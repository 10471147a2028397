"""The one place where errors become responses.

Domain errors (``core.exceptions``) are mapped by kind to DRF exceptions carrying their stable
``code``; drf-standardized-errors then renders every error in one shape:
``{"type": "client_error" | "validation_error", "errors": [{"code", "detail", "attr"}]}``.
"""

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError
from drf_standardized_errors.handler import exception_handler as standardized_exception_handler
from rest_framework import exceptions

from core import exceptions as domain

from .errors import Conflict, ServiceUnavailable
from .request_id import get_request_id

log = logging.getLogger(__name__)


def domain_to_api(exc: domain.DomainError) -> exceptions.APIException:
    """The domain error as DRF's exception of its kind. A ``field`` the error names (a body
    field, query parameter or header) becomes the error's ``attr`` whatever the status (e.g.
    409 ``price_changed`` on ``expected_price``): a dict detail is what the error formatter
    reads ``attr`` from. Except on 404: a thing the caller may not see answers exactly as one
    that does not exist, ``attr`` null as Django's and DRF's own 404s."""
    if isinstance(exc, domain.NotFound):
        return exceptions.NotFound(exc.message, exc.code)
    detail: Any = exceptions.ErrorDetail(exc.message, exc.code)
    if exc.field:
        detail = {exc.field: [detail]}
    if isinstance(exc, domain.InvalidInput):
        return exceptions.ValidationError(detail)
    if isinstance(exc, domain.Forbidden):
        return exceptions.PermissionDenied(detail, exc.code)
    if isinstance(exc, domain.Conflict):
        return Conflict(detail, exc.code)
    return exceptions.APIException(detail, exc.code)


def exception_handler(exc, context):
    if isinstance(exc, domain.DomainError):
        exc = domain_to_api(exc)
    elif isinstance(exc, ProtectedError):
        exc = Conflict("Other records still depend on this one.", "protected")
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database did not answer (down, pool exhausted, lock timeout, deadlock): the
        # service's transaction rolled back whole (see ServiceUnavailable). 503 + Retry-After,
        # logged with its traceback for the operator.
        log.error("database unavailable: %s", exc, exc_info=exc)
        exc = ServiceUnavailable()
    response = standardized_exception_handler(exc, context)
    if response is not None and response.status_code >= 500 and isinstance(response.data, dict):
        response.data["request_id"] = get_request_id()  # every 5xx body names its request
    return response
