"""A burst of stream requests on PostgreSQL queues for the bounded connection pool
(``config.settings.environment.database_pool``) instead of opening a connection per request.

Under ASGI each request's synchronous part (authentication) runs in a thread of its own; without
the pool a burst of N requests holds N connections at once, past PostgreSQL's max_connections."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from django.db import connection, connections

from api.events.hub import LISTENER_APPLICATION_NAME
from tests.events.stream_helpers import STREAM, token_for
from tests.factories import UserFactory

POOL_MAX = 3
BURST = 24


@pytest.fixture
def pooled(transactional_db):
    """The default database served from a pool of POOL_MAX connections (as production and
    bench settings do; the test settings keep plain connections)."""
    options = connections.settings["default"]["OPTIONS"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (since,) = cursor.fetchone()
    connection.close()
    options["pool"] = {"min_size": 0, "max_size": POOL_MAX, "timeout": 20}
    yield since
    connection.close()
    connection.close_pool()
    del options["pool"]


class Peak:
    """Samples the number of sessions opened on the test database since ``since`` (sessions
    other tests left open are not this test's) every 20 ms, from outside."""

    def __init__(self, since) -> None:
        self.since = since
        params = connection.settings_dict
        self.dbname = params["NAME"]
        self.conn = psycopg.connect(
            dbname="postgres",
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            autocommit=True,
        )
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            (count,) = self.conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid() AND backend_start >= %s "
                "AND application_name <> %s",  # the hub's own listener, named from its start
                [self.dbname, self.since, LISTENER_APPLICATION_NAME],
            ).fetchone()
            self.peak = max(self.peak, count)
            time.sleep(0.02)

    def close(self) -> int:
        self.stop.set()
        self.thread.join(timeout=5)
        self.conn.close()
        return self.peak


@pytest.mark.postgres
def test_a_burst_of_streams_never_holds_more_connections_than_the_pool(
    pooled, live_asgi, monkeypatch
):
    from api.authentication import TokenAuthentication

    authenticate = TokenAuthentication.authenticate

    def slow_authenticate(self, request):
        result = authenticate(self, request)
        time.sleep(0.2)  # a slow request: it holds its connection meanwhile
        return result

    monkeypatch.setattr(TokenAuthentication, "authenticate", slow_authenticate)
    token = token_for(UserFactory())
    connection.close()  # the test's own connection back to the pool
    answered = threading.Semaphore(0)
    release = threading.Event()

    def open_one(_: int) -> tuple[int, str]:
        headers = {"Authorization": f"Token {token}", "Accept": "text/event-stream"}
        with (
            httpx.Client(timeout=httpx.Timeout(30.0)) as client,
            client.stream("GET", f"{live_asgi}{STREAM}", headers=headers) as response,
        ):
            first = next(response.iter_lines(), "") if response.status_code == 200 else ""
            answered.release()
            release.wait(30)  # every stream stays open until all have answered
            return response.status_code, first

    peak = Peak(pooled)
    with ThreadPoolExecutor(BURST) as threads:
        futures = [threads.submit(open_one, i) for i in range(BURST)]
        for _ in range(BURST):
            assert answered.acquire(timeout=30), "a stream did not answer"
        release.set()
        answers = [f.result() for f in futures]
    assert peak.close() <= POOL_MAX
    assert answers == [(200, "retry: 3000")] * BURST
