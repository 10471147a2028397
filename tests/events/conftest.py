"""Fixtures of the event tests: the project's ASGI application served by uvicorn, and the
stream readers a test opens (closed after it)."""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from django.core.asgi import get_asgi_application

from api.events import hub as hub_module
from tests.events.stream_helpers import SSEReader, free_port


@pytest.fixture
def live_asgi(transactional_db) -> Iterator[str]:
    """The project's ASGI application under uvicorn in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            get_asgi_application(),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=1,  # open streams never end by themselves
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    for loop in list(hub_module._hubs):  # close the hub's database connection before teardown
        asyncio.run_coroutine_threadsafe(hub_module.hubs_stop(), loop).result(timeout=5)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def readers() -> Iterator[list[SSEReader]]:
    opened: list[SSEReader] = []
    yield opened
    for reader in opened:
        reader.close()
