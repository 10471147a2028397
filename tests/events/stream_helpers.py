"""Helpers shared by the event stream tests: a server-sent events reader, opening a stream as
a user, and writing an event."""

import json
import queue
import socket
import threading
import time

import httpx
from knox.models import AuthToken

from core.events import event_emit

STREAM = "/api/v1/events/stream/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token_for(user) -> str:
    return AuthToken.objects.create(user)[1]


class SSEReader:
    """Reads a stream in a thread; ``messages`` gets each event (dict with id, event, data),
    comment (``{"comment": ...}``) and ``{"retry": ...}`` as it arrives."""

    def __init__(self, url: str, **headers: str) -> None:
        self.messages: queue.Queue[dict] = queue.Queue()
        self.status: int | None = None
        self._ready = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5.0, read=None))
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        assert self._ready.wait(5), "the stream did not answer"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self.body = b"" if response.status_code == 200 else response.read()
                self._ready.set()
                if response.status_code != 200:
                    return
                current: dict = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.messages.put({"comment": line[1:].strip()})
                    elif line.startswith("retry:"):
                        self.messages.put({"retry": int(line[6:])})
                    elif line == "":
                        if current:
                            self.messages.put(current)
                            current = {}
                    else:
                        key, _, value = line.partition(":")
                        current[key] = value.strip()
        except (httpx.HTTPError, RuntimeError):
            self._ready.set()

    def next_event(self, timeout: float) -> dict:
        """The next event (comments and retry skipped); raises queue.Empty after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if "data" in message:
                return {**message, "data": json.loads(message["data"])}

    def wait_open(self) -> None:
        """Until the server has subscribed the stream (it sends ``retry:`` right after)."""
        assert self.messages.get(timeout=5) == {"retry": 3000}

    def close(self) -> None:
        self._client.close()


def open_stream(readers, base: str, user=None, *, query: str = "", **headers) -> SSEReader:
    if user is not None:
        headers.setdefault("Authorization", f"Token {token_for(user)}")
    reader = SSEReader(f"{base}{STREAM}{query}", Accept="text/event-stream", **headers)
    readers.append(reader)
    return reader


def completed(user_ids, steps: int = 1) -> int:
    return event_emit(
        type="chain.completed", data={"chain": 1, "steps": steps}, recipients=user_ids
    ).pk
