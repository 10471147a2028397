"""The test kit every suite reuses: clients per role, factories, query-count helpers."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from .factories import AssistantFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (throttle counts, cached list counts)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True)


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    client.user = user  # type: ignore[attr-defined]
    return client


@pytest.fixture
def owner_client(user) -> APIClient:
    """Authenticated as ``user``, who owns ``assistant``."""
    return _client_for(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    """Authenticated as ``other_user``, who owns ``other_assistant``."""
    return _client_for(other_user)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return _client_for(staff_user)


@pytest.fixture
def client_for() -> Callable:
    return _client_for


@pytest.fixture
def assistant(user):
    return AssistantFactory(owner=user)


@pytest.fixture
def other_assistant(other_user):
    return AssistantFactory(owner=other_user)


def count_queries(func: Callable[[], object]) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    return len(ctx.captured_queries), result


def assert_list_queries_constant(client: APIClient, url: str, *, min_rows: int = 3) -> int:
    """A list must cost the same number of queries at page_size 1 and 100 (no N+1).

    Returns that number so callers can also pin it.
    """
    sep = "&" if "?" in url else "?"
    n1, r1 = count_queries(lambda: client.get(f"{url}{sep}page_size=1"))
    n100, r100 = count_queries(lambda: client.get(f"{url}{sep}page_size=100"))
    assert r1.status_code == 200, r1.content  # type: ignore[attr-defined]
    assert r100.status_code == 200, r100.content  # type: ignore[attr-defined]
    rows = len(r100.json()["results"])  # type: ignore[attr-defined]
    assert rows >= min_rows, f"need at least {min_rows} rows to prove anything, got {rows}"
    assert n1 == n100, f"{url}: {n1} queries at page_size=1 but {n100} at page_size=100"
    return n1


def error_codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` skip on SQLite, and only there: on PostgreSQL they must run."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
