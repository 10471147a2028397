"""API exceptions that DRF lacks. Kept free of handler imports (parsers load early)."""

from rest_framework import exceptions, status


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class ServiceUnavailable(exceptions.APIException):
    """The database could not answer now (unreachable, no pooled connection within
    ``DB_POOL_TIMEOUT``, a lock timeout or deadlock). A service's transaction that failed was
    rolled back whole; after-commit work never raises (robust hooks), so a write answered 503
    was not applied, except when only the re-read after its commit failed: retry with the same
    ``Idempotency-Key`` where the endpoint takes one, or read the state back."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; retry after Retry-After seconds."
    default_code = "service_unavailable"
    wait = 1
