"""Domain errors become the one error shape (``api.exceptions``): each kind its status, the
``field`` it names its ``attr`` whatever the status, except on 404, which names nothing: a
thing the caller may not see answers exactly as one that does not exist."""

import pytest
from rest_framework.test import APIRequestFactory

from api.exceptions import exception_handler
from core import exceptions as domain


def _answer(exc: domain.DomainError):
    request = APIRequestFactory().get("/api/v1/")
    response = exception_handler(exc, {"view": None, "request": request})
    assert response is not None
    return response.status_code, response.data


@pytest.mark.parametrize(
    ("kind", "status", "type_"),
    [
        (domain.InvalidInput, 400, "validation_error"),
        (domain.Forbidden, 403, "client_error"),
        (domain.Conflict, 409, "client_error"),
    ],
)
def test_a_named_field_is_the_attr_whatever_the_status(kind, status, type_):
    assert _answer(kind("Nope.", code="some_code", field="some_field")) == (
        status,
        {"type": type_, "errors": [{"code": "some_code", "detail": "Nope.", "attr": "some_field"}]},
    )
    assert _answer(kind("Nope.", code="some_code")) == (
        status,
        {"type": type_, "errors": [{"code": "some_code", "detail": "Nope.", "attr": None}]},
    )


def test_a_404_names_no_field():
    assert _answer(domain.NotFound("Not found.", field="prompt")) == (
        404,
        {
            "type": "client_error",
            "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
        },
    )
