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
    ``DB_POOL_TIMEOUT``, a lock timeout or deadlock): nothing was changed, retrying is safe."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; retry after Retry-After seconds."
    default_code = "service_unavailable"
    wait = 1
