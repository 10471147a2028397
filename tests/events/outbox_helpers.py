"""Helpers shared by the outbox tests."""

from core.models import Event, EventRecipient


def only_event(type_: str) -> tuple[Event, set[int]]:
    """The one event of ``type_`` and the ids of its recipients (fails on zero or several)."""
    events = list(Event.objects.filter(type=type_))
    assert len(events) == 1, f"{type_}: {len(events)} events"
    users = set(EventRecipient.objects.filter(event=events[0]).values_list("user_id", flat=True))
    return events[0], users


def post(client, url, body=None):
    return client.post(url, body or {}, format="json")
