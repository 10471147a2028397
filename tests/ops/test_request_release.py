"""A served request leaves nothing for the cyclic garbage collector (``release_request``):
once the server closes the response, the view, both requests, the response and the page's
rows are freed by reference counting. Driven through Django's WSGI and ASGI handlers as a
server calls them (the test client keeps cycles of its own on the response it returns)."""

import asyncio
import contextlib
import functools
import gc
import json
from collections.abc import Iterator

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import Model
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.test.client import RequestFactory
from knox.models import AuthToken
from rest_framework.request import Request
from rest_framework.views import APIView

from economy.models import Purchase
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db


@functools.cache
def wsgi_handler() -> WSGIHandler:
    return WSGIHandler()  # once, as a server loads it (the handler itself holds cycles)


@contextlib.contextmanager
def no_connection_check() -> Iterator[None]:
    """As the test client serves: without the per-request connection check, which would close
    the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def served(environ: dict) -> tuple[str, bytes]:
    """One request through the whole middleware stack, as a WSGI server runs it: call, read
    the body, close."""
    status: list[str] = []
    with no_connection_check():
        body = wsgi_handler()(environ, lambda s, headers, exc_info=None: status.append(s))
        content = b"".join(body)
        body.close()
    return status[0], content


def cyclic_garbage(environ: dict, serve=served) -> tuple[str, bytes, list]:
    """Serve the request with the collector off, then collect: what only the collector could
    free (``DEBUG_SAVEALL`` keeps it in ``gc.garbage``)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        status, content = serve(environ)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    return status, content, garbage


def framework_objects(garbage: list) -> list[str]:
    kinds = (HttpRequest, Request, APIView, HttpResponseBase)
    return [type(o).__name__ for o in garbage if isinstance(o, kinds)]


@pytest.fixture
def listings() -> list:
    seller = AssistantFactory()
    return [
        ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=100 + i)
        for i in range(5)
    ]


def test_a_list_page_leaves_no_cycles(listings):
    environ = RequestFactory().get("/api/v1/market/prompts/?ordering=-trust&page_size=5").environ
    served(environ)  # warm: first-use caches are not the request's
    status, content, garbage = cyclic_garbage(environ)
    assert status.startswith("200")
    assert len(json.loads(content)["results"]) == 5
    assert framework_objects(garbage) == []
    assert garbage == []


def test_a_refusal_leaves_no_cycles(listings):
    environ = RequestFactory().get("/api/v1/market/prompts/?page_size=0").environ
    served(environ)
    status, content, garbage = cyclic_garbage(environ)
    assert status.startswith("400")
    assert json.loads(content)["errors"][0]["attr"] == "page_size"
    assert garbage == []


def test_a_purchase_leaves_no_cycles(listings):
    buyer = AssistantFactory()
    _, token = AuthToken.objects.create(buyer.owner)
    factory = RequestFactory()

    def buy(listing):
        return factory.post(
            f"/api/v1/market/prompts/{listing.pk}/buy/",
            data=json.dumps({"buyer": buyer.pk}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        ).environ

    served(buy(listings[0]))
    status, content, garbage = cyclic_garbage(buy(listings[1]))
    assert status.startswith("201"), content
    assert json.loads(content)["price"] == "1.01"
    assert Purchase.objects.filter(buyer=buyer).count() == 2
    assert framework_objects(garbage) == []
    # What is left is the sale's rows and its buyer: Django caches a one-to-one on both sides
    # (the purchase holds its ledger entry, the entry its purchase), a cycle of the ORM's own.
    models = {type(o).__name__ for o in garbage if isinstance(o, Model)}
    assert models <= {"Purchase", "LedgerEntry", "PromptVersion", "Assistant"}, models


@functools.cache
def asgi_handler() -> ASGIHandler:
    return ASGIHandler()


def asgi_served(environ: dict) -> tuple[str, bytes]:
    """The same request through Django's ASGI handler, as uvicorn runs it: the body, then a
    ``receive`` that waits (the handler listens for a disconnect until the response is sent)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": "http",
        "path": environ["PATH_INFO"],
        "raw_path": environ["PATH_INFO"].encode(),
        "query_string": environ.get("QUERY_STRING", "").encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def serve() -> None:
        bodies = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict:
            if bodies:
                return bodies.pop()
            await asyncio.Event().wait()  # no disconnect: cancelled once the answer is sent
            raise AssertionError("unreachable")

        async def send(message: dict) -> None:
            sent.append(message)

        await asgi_handler()(scope, receive, send)

    with no_connection_check():
        asyncio.run(serve())
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return str(start["status"]), body


@pytest.mark.django_db(transaction=True)  # the view runs in a thread with its own connection
def test_a_list_page_served_by_asgi_leaves_no_request_cycle(listings):
    environ = RequestFactory().get("/api/v1/market/prompts/?ordering=-trust&page_size=5").environ
    asgi_served(environ)
    status, content, garbage = cyclic_garbage(environ, serve=asgi_served)
    assert status == "200"
    assert len(json.loads(content)["results"]) == 5
    assert framework_objects(garbage) == []
    # The event loop's own objects aside, none of the page's rows.
    assert not [o for o in garbage if isinstance(o, dict) and "token_cost" in o]
