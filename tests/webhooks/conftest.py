"""A real HTTP receiver on loopback that verifies every delivery with the reference library."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.core.management import call_command
from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    verified: object = None  # the payload Webhook(secret).verify answered, or the error


@dataclass
class Receiver:
    """Answers the statuses in ``script`` in turn (then the last one again); ``secret`` is
    what it verifies signatures with."""

    url: str = ""
    script: list[int] = field(default_factory=lambda: [200])
    secret: str | None = None
    received: list[Received] = field(default_factory=list)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        status = self.script[min(len(self.received), len(self.script) - 1)]
        verified: object
        try:
            verified = Webhook(self.secret).verify(body, headers) if self.secret else None
        except WebhookVerificationError as exc:
            verified = exc
        self.received.append(Received(headers, body, status, verified))
        return status


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status = state.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def loopback_targets(settings):
    """Deliveries may go to the loopback receiver; retries come at once."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0]
    return settings


def run_worker() -> None:
    """Run every job that is due, as the worker does, until none is left."""
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.fixture
def no_requests(monkeypatch):
    """Nothing here may reach the network: resolving is allowed, sending is not."""

    def refuse(*args, **kwargs):
        raise AssertionError("a request was made")

    monkeypatch.setattr(httpx.Client, "send", refuse)


@pytest.fixture
def dns(monkeypatch):
    """Host names resolve to what the test says (IP literals still resolve to themselves)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers
