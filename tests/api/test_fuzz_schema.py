"""Schemathesis over the whole schema, in-process (WSGI): no 5xx, and every status code,
content type and body the API answers with fits the committed schema."""

from pathlib import Path

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"
schema = schemathesis.from_path(str(SCHEMA_PATH), app=get_wsgi_application())
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@pytest.fixture
def auth_header(db):
    """A user with an assistant (id 1 is likely theirs) and a prompt, so ids in the fuzz hit rows."""
    from knox.models import AuthToken

    from tests.factories import AssistantFactory, PromptFactory, UserFactory

    user = UserFactory()
    assistant = AssistantFactory(owner=user)
    PromptFactory(author=assistant)
    _, token = AuthToken.objects.create(user)
    return {"Authorization": f"Token {token}"}


@pytest.fixture(autouse=True)
def keep_test_connection():
    """The raw WSGI handler closes the DB connection after each request; Django's test client
    stops that, and so must we, or the test transaction is gone after the first call."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.django_db
def test_api_conforms_to_schema(case, auth_header):
    case.headers = {**(case.headers or {}), **auth_header}
    response = case.call_wsgi()
    case.validate_response(response, checks=CHECKS)
