"""Per-request plumbing outside any view: the request id, the request log line and the HTTP
metrics (first in MIDDLEWARE, so it sees every response: errors, 404s, throttles included);
the admin's messages, made only when used."""

import logging
import time
from functools import lru_cache

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from .metrics import HTTP_LATENCY, HTTP_REQUESTS, route_template
from .request_id import HEADER, request_id_from, reset_request_id, set_request_id

logger = logging.getLogger("api.request")

# Probes and scrapes arrive every few seconds from every balancer and Prometheus: logged at
# DEBUG so they do not drown the requests people make.
QUIET_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})


# A metric's child per label values, looked up once: ``labels()`` checks and joins its
# arguments and takes a lock on every call. Bounded: routes x methods (x statuses).
@lru_cache(maxsize=4096)
def _requests_counter(route: str, method: str, status: int):
    return HTTP_REQUESTS.labels(route=route, method=method, status=status)


@lru_cache(maxsize=1024)
def _latency_histogram(route: str, method: str):
    return HTTP_LATENCY.labels(route=route, method=method)


class ObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            response[HEADER] = request_id
            match = getattr(request, "resolver_match", None)
            route = route_template(match.route if match else None)
            _requests_counter(route, request.method, response.status_code).inc()
            _latency_histogram(route, request.method).observe(elapsed)
            logger.log(
                logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            return response
        finally:
            reset_request_id(token)


class LazyMessageMiddleware(MessageMiddleware):
    """Django's message middleware (for the admin), its storage made on first use. Django's
    builds the storage, a cookie signer included, on every request; an API request never adds
    or reads a message. A storage nobody touched has nothing to save, as in Django's
    ``update`` (it stores only messages used or added)."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:  # type: ignore[attr-defined]
            return response
        return super().process_response(request, response)
