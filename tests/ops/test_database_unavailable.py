"""When the database cannot answer (down, no pooled connection in time, a lock timeout), the
API says so with 503 ``service_unavailable`` and ``Retry-After``, in the one error shape, not
a 500: the request changed nothing and a retry is safe."""

import logging
import threading

import pytest
from django.db import OperationalError, connection, connections
from rest_framework.test import APIClient

from core import access
from core.models import Prompt
from core.services import prompts as prompts_service
from tests.factories import AssistantFactory, PromptFactory, UserFactory


def _assert_unavailable(r, request_id: str) -> None:
    assert r.status_code == 503
    assert r["Retry-After"] == "1"
    assert r.json() == {
        "type": "server_error",
        "errors": [
            {
                "code": "service_unavailable",
                "detail": "The service is temporarily unavailable; retry after Retry-After "
                "seconds.",
                "attr": None,
            }
        ],
        "request_id": request_id,
    }


@pytest.mark.django_db
def test_a_database_error_is_503_with_retry_after_and_logged(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(access, "prompts_visible_to", unreachable)
    with caplog.at_level(logging.ERROR, logger="api.exceptions"):
        r = APIClient(raise_request_exception=False).get(
            "/api/v1/prompts/", HTTP_X_REQUEST_ID="db-down"
        )
    _assert_unavailable(r, "db-down")
    assert any("database unavailable" in rec.getMessage() for rec in caplog.records)


@pytest.mark.django_db
def test_a_write_that_meets_a_database_error_changes_nothing(monkeypatch):
    owner = UserFactory()
    assistant = AssistantFactory(owner=owner)
    prompt = PromptFactory(author=assistant, is_public=True)
    versions = prompt.versions.count()
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(owner)

    def fails(*args, **kwargs):
        raise OperationalError("lock timeout")

    # The edit has written the prompt and its new version when the event write fails.
    monkeypatch.setattr(prompts_service, "event_emit", fails)
    r = client.patch(f"/api/v1/prompts/{prompt.pk}/", {"body": "a new body"}, format="json")
    assert r.status_code == 503
    assert r.json()["errors"][0]["code"] == "service_unavailable"
    assert Prompt.objects.get(pk=prompt.pk).body == prompt.body != "a new body"
    assert prompt.versions.count() == versions


@pytest.fixture
def one_connection_pool(transactional_db):
    options = connections.settings["default"]["OPTIONS"]
    connection.close()
    options["pool"] = {"min_size": 0, "max_size": 1, "timeout": 0.5}
    yield
    connection.close()
    connection.close_pool()
    del options["pool"]


@pytest.mark.postgres
def test_an_exhausted_connection_pool_is_503_not_500(one_connection_pool):
    with connection.cursor() as cursor:  # this thread holds the pool's only connection
        cursor.execute("SELECT 1")
        answers = []

        def request() -> None:
            client = APIClient(raise_request_exception=False)
            answers.append(client.get("/api/v1/prompts/", HTTP_X_REQUEST_ID="pool-empty"))
            connections.close_all()

        thread = threading.Thread(target=request)
        thread.start()
        thread.join(timeout=30)
    (r,) = answers
    _assert_unavailable(r, "pool-empty")
