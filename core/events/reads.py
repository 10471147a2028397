"""Reads of the outbox: a user's feed, the stream hub's fan-out and a resumed stream's backlog."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Max, QuerySet

from ..models import Event, EventRecipient


def events_of(*, user_id: int) -> QuerySet[Event]:
    """The events addressed to a user, oldest first: the feed, and the stream's backlog."""
    return Event.objects.filter(recipients__user_id=user_id).order_by("id")


@dataclass(frozen=True)
class Delivery:
    """One event for one recipient, as the stream sends it."""

    id: int
    user_id: int
    type: str
    created_at: str
    data: dict[str, Any]


def event_deliveries_after(*, event_id: int, limit: int = 1000) -> list[Delivery]:
    """Every (event, recipient) after ``event_id`` in event order, at most ``limit``: what the
    stream hub fans out to all open streams of a process, one query per wake-up."""
    rows = (
        EventRecipient.objects.filter(event_id__gt=event_id)
        .order_by("event_id", "user_id")
        .values_list("event_id", "user_id", "event__type", "event__created_at", "event__data")
    )[:limit]
    return [Delivery(e, u, t, _iso(c), d) for e, u, t, c, d in rows]


def event_backlog(*, user_id: int, after: int, limit: int = 1000) -> list[Delivery]:
    """A user's events after ``after`` (a resumed stream's missed events), oldest first."""
    rows = (
        events_of(user_id=user_id)
        .filter(id__gt=after)
        .values_list("id", "type", "created_at", "data")[:limit]
    )
    return [Delivery(e, user_id, t, _iso(c), d) for e, t, c, d in rows]


def event_last_id() -> int:
    """The newest event id (0 when there is none): one index look-up."""
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")
