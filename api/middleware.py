"""Per-request plumbing outside any view: the request id, the request log line and the HTTP
metrics (first in MIDDLEWARE, so it sees every response: errors, 404s, throttles included),
the request's reference cycles cut when its response closes; the admin's messages, made only
when used."""

import logging
import time
from functools import lru_cache, partial

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
            # The renderer context, not the response: a closer holding its own response would
            # be one more cycle until it ran.
            context = getattr(response, "renderer_context", None)
            response._resource_closers.append(partial(release_request, request, context))
            return response
        finally:
            reset_request_id(token)


def release_request(request: HttpRequest, renderer_context: dict | None) -> None:
    """Cut the reference cycles a request leaves behind, once its response is closed (sent):
    DRF's view holds its request and response, and both hold the view (``parser_context``,
    ``renderer_context``); the view holds its own bound handlers; Django's request holds
    ``auser``, a partial of itself (the admin's unused message storage, a closure over the
    request, is dropped by ``LazyMessageMiddleware``).
    Left alone, all of it (the page's rows included: about 330 objects for 50 listings) waits
    for the cyclic garbage collector, 0.2 to 0.3 ms of a market page's CPU. Cut, it is freed
    by reference counting as the server drops the response.

    Called by Django as one of the response's closers, after the body went out (WSGI and
    ASGI). ``renderer_context`` is DRF's, on its ``Response`` only: a streamed answer's view
    is left to the collector, once per stream. After the cut a closed response keeps
    ``data``, its content and ``wsgi_request`` with its user and session; its
    ``renderer_context`` is empty and ``wsgi_request.auser`` gone."""
    if renderer_context:
        view = renderer_context.get("view")
        drf_request = renderer_context.get("request")
        parser_context = getattr(drf_request, "parser_context", None)
        if isinstance(parser_context, dict):
            parser_context.clear()
        if view is not None:
            vars(view).clear()
        renderer_context.clear()
    request.__dict__.pop("auser", None)


class LazyMessageMiddleware(MessageMiddleware):
    """Django's message middleware (for the admin), its storage made on first use. Django's
    builds the storage, a cookie signer included, on every request; an API request never adds
    or reads a message. A storage nobody touched has nothing to save, as in Django's
    ``update`` (it stores only messages used or added), and is dropped with its closure over
    the request, which would otherwise keep the request in a reference cycle."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:  # type: ignore[attr-defined]
            del request._messages
            return response
        return super().process_response(request, response)
