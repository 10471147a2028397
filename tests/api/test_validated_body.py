"""A write's body serializer is kept per thread (``api.represent.validated_body``): each request
is validated against its own body and its own caller, never an earlier one's."""

import pytest
from rest_framework.test import APIClient

from api.economy.serializers import RatingCreateSerializer
from api.represent import _bodies
from tests.conftest import error_codes
from tests.factories import AssistantFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _rate(client, prompt, rater, **kw):
    body = {"rater": rater.id, "ritual_effectiveness": 0.8, "assistant_approval": 0.6, **kw}
    return client.post(f"/api/v1/prompts/{prompt.id}/rate/", body, format="json")


def test_each_request_is_validated_against_its_own_body_and_caller():
    alice, bob = UserFactory(), UserFactory()
    alices, bobs = AssistantFactory(owner=alice), AssistantFactory(owner=bob)
    prompt = PromptFactory(author=AssistantFactory())
    as_alice, as_bob = _client(alice), _client(bob)

    first = _rate(as_alice, prompt, alices, ritual_effectiveness=0.2, assistant_approval=0.4)
    assert first.status_code == 201, first.content
    assert first.json()["ritual_effectiveness"] == 0.2
    kept = _bodies.__dict__[RatingCreateSerializer]  # the instance the next requests reuse

    refused = _rate(as_alice, prompt, alices, ritual_effectiveness=2.0)
    assert refused.status_code == 400
    assert "ritual_effectiveness" in str(refused.json())

    # Bob's request is checked against Bob: Alice's assistant is not his.
    assert error_codes(_rate(as_bob, prompt, alices)) == ["not_your_assistant"]

    second = _rate(as_bob, prompt, bobs, ritual_effectiveness=0.9, user_rating_tags=["x"])
    assert second.status_code == 201, second.content
    assert second.json()["ritual_effectiveness"] == 0.9
    assert second.json()["user_rating_tags"] == ["x"]
    assert second.json()["rater"] == bobs.id

    # A body that leaves out a field with a default gets the default, not the last one's.
    third = _rate(as_alice, prompt, alices)
    assert third.status_code == 200, third.content
    assert third.json()["user_rating_tags"] == []
    assert _bodies.__dict__[RatingCreateSerializer] is kept


def test_the_kept_instance_holds_nothing_of_the_request_it_served():
    user = UserFactory()
    rater = AssistantFactory(owner=user)
    prompt = PromptFactory(author=AssistantFactory())
    client = _client(user)

    # No request, view, body, validated rows or errors stay alive until the next write.
    for body, code in (({"ritual_effectiveness": 2.0}, 400), ({}, 201)):
        assert _rate(client, prompt, rater, **body).status_code == code
        kept = _bodies.__dict__[RatingCreateSerializer]
        assert kept.context == {}
        assert kept._kwargs == {}  # DRF's record of the constructor's arguments
        assert not {"initial_data", "_validated_data", "_errors", "_data"} & set(vars(kept))
