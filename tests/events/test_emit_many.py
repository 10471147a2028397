"""Several events of one change written together (a chain step's two): each as ``event_emit``
would write it, their ids in the order given, in one statement on PostgreSQL."""

import pytest
from django.db import connection

from core.events import event_emit_many, event_listener_add, event_listener_remove
from core.models import Event, EventRecipient, WebhookDelivery, WebhookEndpoint
from tests.conftest import count_queries
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _endpoint(owner, types):
    return WebhookEndpoint.objects.create(
        owner=owner, url="https://example.com/hook", types=types, secret="s" * 32
    )


def test_events_keep_their_order_recipients_and_webhooks(django_capture_on_commit_callbacks):
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    only_turns = _endpoint(a, ["chain.turn"])
    every_type = _endpoint(b, [])
    _endpoint(c, [])  # c receives neither event
    heard: list[int] = []
    event_listener_add(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            n, _ = count_queries(
                lambda: event_emit_many(
                    [
                        ("chain.stepped", _stepped(), [b.pk, a.pk, b.pk, None]),
                        ("chain.turn", {"chain": 1, "step": 3, "assistant": 4}, [a.pk]),
                    ]
                )
            )
    finally:
        event_listener_remove(heard.append)
    stepped, turn = Event.objects.order_by("id")
    assert (stepped.type, stepped.data) == ("chain.stepped", _stepped())
    assert (turn.type, turn.data) == ("chain.turn", {"chain": 1, "step": 3, "assistant": 4})
    assert heard == [stepped.pk, turn.pk]

    def recipients(event):
        return sorted(EventRecipient.objects.filter(event=event).values_list("user_id", flat=True))

    assert recipients(stepped) == sorted([a.pk, b.pk])
    assert recipients(turn) == [a.pk]
    deliveries = sorted(WebhookDelivery.objects.values_list("event_id", "endpoint_id"))
    assert deliveries == sorted([(stepped.pk, every_type.pk), (turn.pk, only_turns.pk)])
    # PostgreSQL: both events, their recipients and the endpoints in one statement, then one
    # INSERT of deliveries per event that has any.
    if connection.vendor == "postgresql":
        assert n == 3


def test_off_catalogue_data_writes_nothing():
    with pytest.raises(ValueError, match="data keys"):
        event_emit_many(
            [
                ("chain.stepped", _stepped(), [UserFactory().pk]),
                ("chain.turn", {"chain": 1}, []),
            ]
        )
    assert not Event.objects.exists()


def _stepped():
    return {"chain": 1, "step": 2, "assistant": 4, "reflection": 5, "codex_tension": 0.25}
