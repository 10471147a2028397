"""The one way to write an event: ``event_emit`` in the caller's transaction, so a change and
its event commit or roll back together; listeners are told after commit."""

import json
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ..models import Event, EventRecipient
from ..webhook_queue import (
    webhook_deliveries_create,
    webhook_deliveries_for,
    webhook_endpoint_matches,
)
from .validation import event_data_validate

# Taken by every transaction that writes an event on PostgreSQL and held until it commits, so
# events commit in id order: a reader that saw id N never later finds a smaller id appear.
EVENT_ORDER_LOCK = 0x6D797468  # "myth"

# PostgreSQL channel the stream listeners LISTEN on; NOTIFY is delivered only at commit.
EVENTS_CHANNEL = "mythos_events"

# One round trip: take the order lock, insert the event and its recipients, queue the NOTIFY
# (sent if the change commits), and read the recipients' active webhook endpoints.
_INSERT_LOCKED = (
    "WITH ordered AS (SELECT pg_advisory_xact_lock(%s)), "
    "ins AS (INSERT INTO core_event (type, created_at, data) SELECT %s, %s, %s FROM ordered "
    "RETURNING id), "
    "rcp AS (INSERT INTO core_eventrecipient (event_id, user_id) "
    "SELECT ins.id, u.u FROM ins, unnest(%s::integer[]) WITH ORDINALITY AS u(u, n) ORDER BY u.n "
    "RETURNING id) "
    "SELECT ins.id, pg_notify(%s, ins.id::text), (SELECT COUNT(*) FROM rcp), "
    "(SELECT json_agg(json_build_array(e.id, e.types) ORDER BY e.id) FROM core_webhookendpoint e "
    "WHERE e.is_active AND e.owner_id = ANY(%s::integer[])) FROM ins"
)


# The same for several events at once: they take ids in the order given (the INSERT's rows are
# sorted by their position, and the ids are drawn in that order), recipients by position.
_INSERT_MANY_LOCKED = (
    "WITH ordered AS (SELECT pg_advisory_xact_lock(%s)), "
    "ins AS (INSERT INTO core_event (type, created_at, data) "
    "SELECT s.t, %s, s.d::jsonb FROM ordered, unnest(%s::text[], %s::text[]) "
    "WITH ORDINALITY AS s(t, d, n) ORDER BY s.n RETURNING id), "
    "ids AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ins), "
    "rcp AS (INSERT INTO core_eventrecipient (event_id, user_id) "
    "SELECT ids.id, r.u FROM ids JOIN unnest(%s::integer[], %s::integer[]) "
    "WITH ORDINALITY AS r(n, u, k) ON r.n = ids.n ORDER BY r.k RETURNING id) "
    "SELECT (SELECT array_agg(ids.id ORDER BY ids.n) FROM ids), "
    "(SELECT COUNT(*) FROM (SELECT pg_notify(%s, ids.id::text) FROM ids) nt), "
    "(SELECT COUNT(*) FROM rcp), "
    "(SELECT json_agg(json_build_array(e.id, e.types, e.owner_id) ORDER BY e.id) "
    "FROM core_webhookendpoint e WHERE e.is_active AND e.owner_id = ANY(%s::integer[]))"
)


def _event_insert(*, type: str, data: dict[str, Any], users: list[int]) -> Event:
    """The event and its recipients; on PostgreSQL with its webhook deliveries in the same
    round trip (their endpoints read there)."""
    event = Event(type=type, data=data)
    if connection.vendor != "postgresql":
        # SQLite runs one writing transaction at a time: ids already commit in order.
        event.save(force_insert=True)
        EventRecipient.objects.bulk_create(EventRecipient(event=event, user_id=u) for u in users)
        webhook_deliveries_create(event=event, users=users)
        return event
    event.created_at = timezone.now()
    data_field = Event._meta.get_field("data")
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_LOCKED,
            [
                EVENT_ORDER_LOCK,
                type,
                event.created_at,
                data_field.get_db_prep_save(data, connection),
                users,
                EVENTS_CHANNEL,
                users,
            ],
        )
        event.pk, _, _, endpoints = cursor.fetchone()
    event._state.adding = False
    if endpoints:
        if isinstance(endpoints, str):
            endpoints = json.loads(endpoints)
        webhook_deliveries_for(
            event=event,
            endpoint_ids=[
                pk
                for pk, types in endpoints
                if webhook_endpoint_matches(types=types, event_type=type)
            ],
        )
    return event


_listeners: list[Callable[[int], None]] = []


def event_listener_add(listener: Callable[[int], None]) -> None:
    """Call ``listener(event_id)`` after each commit that wrote an event (the stream hub wakes
    on it in this process; other processes learn through their own listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def event_listener_remove(listener: Callable[[int], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _events_committed(event_id: int) -> None:
    for listener in list(_listeners):
        listener(event_id)


def event_emit(*, type: str, data: dict[str, Any], recipients: Iterable[int | None]) -> Event:
    """Write an event of ``type`` addressed to ``recipients`` (user ids; duplicates and None are
    dropped) in the caller's transaction: on PostgreSQL one statement writes the event and its
    recipients and reads the matching webhook endpoints (one more INSERT when any match). A
    change that rolls back takes its event with it. After commit, listeners are told.

    ``data`` off the catalogue is a ValueError raised before anything is written."""
    event_data_validate(type=type, data=data)
    return _event_write(type=type, data=data, users=sorted({u for u in recipients if u}))


def event_emit_many(events: list[tuple[str, dict[str, Any], Iterable[int | None]]]) -> None:
    """``event_emit`` for each ``(type, data, recipients)`` in turn, their ids in that order; on
    PostgreSQL in one statement (plus one INSERT of webhook deliveries when any match)."""
    for type, data, _ in events:
        event_data_validate(type=type, data=data)
    if connection.vendor != "postgresql" or len(events) < 2:
        for type, data, recipients in events:
            event_emit(type=type, data=data, recipients=recipients)
        return
    _events_write_many(
        [(type, data, sorted({u for u in recipients if u})) for type, data, recipients in events]
    )


@transaction.atomic(savepoint=False)  # all or nothing with the change it records
def _events_write_many(events: list[tuple[str, dict[str, Any], list[int]]]) -> None:
    created_at = timezone.now()
    encoder = Event._meta.get_field("data").encoder
    positions = [n for n, (_, _, users) in enumerate(events, 1) for _ in users]
    users = [u for _, _, us in events for u in us]
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_MANY_LOCKED,
            [
                EVENT_ORDER_LOCK,
                created_at,
                [t for t, _, _ in events],
                [json.dumps(d, cls=encoder) for _, d, _ in events],
                positions,
                users,
                EVENTS_CHANNEL,
                sorted(set(users)),
            ],
        )
        ids, _, _, endpoints = cursor.fetchone()
    if endpoints:
        if isinstance(endpoints, str):
            endpoints = json.loads(endpoints)
        for event_id, (type, data, recipients) in zip(ids, events, strict=True):
            matching = [
                pk
                for pk, types, owner in endpoints
                if owner in recipients and webhook_endpoint_matches(types=types, event_type=type)
            ]
            if matching:
                event = Event(pk=event_id, type=type, data=data, created_at=created_at)
                event._state.adding = False
                webhook_deliveries_for(event=event, endpoint_ids=matching)
    for event_id in ids:
        transaction.on_commit(partial(_events_committed, event_id), robust=True)


@transaction.atomic(savepoint=False)  # all or nothing with the change it records
def _event_write(*, type: str, data: dict[str, Any], users: list[int]) -> Event:
    event = _event_insert(type=type, data=data, users=users)
    event_id = event.pk
    transaction.on_commit(lambda: _events_committed(event_id), robust=True)
    return event
