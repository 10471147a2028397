"""Fixtures of the perf tests: the bench's limit app on the test database."""

import pytest

from tests.perf.limit_harness import limit_app


@pytest.fixture
def limit():
    app = limit_app()
    yield app
    if app.conn is not None:
        app.conn.close()
