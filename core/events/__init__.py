"""The event outbox (SPEC 8): the catalogue of event types and the one way to write an event.

Every service whose change another party cares about calls ``event_emit`` inside its own
transaction, so a change and its event commit or roll back together. The catalogue
(``catalogue.py``) is the single description of each type's ``data``: ``event_emit`` checks what
services write against it (``validation.py``) and the API publishes it in the OpenAPI document,
so generated clients type every event. The writes are in ``emit.py``, the reads in ``reads.py``.
"""

from .catalogue import CATALOGUE, EventType, Field
from .emit import (
    EVENT_ORDER_LOCK,
    EVENTS_CHANNEL,
    event_emit,
    event_emit_many,
    event_listener_add,
    event_listener_remove,
)
from .reads import Delivery, event_backlog, event_deliveries_after, event_last_id, events_of
from .validation import MONEY_RE, event_data_validate

__all__ = [
    "CATALOGUE",
    "EVENTS_CHANNEL",
    "EVENT_ORDER_LOCK",
    "MONEY_RE",
    "Delivery",
    "EventType",
    "Field",
    "event_backlog",
    "event_data_validate",
    "event_deliveries_after",
    "event_emit",
    "event_emit_many",
    "event_last_id",
    "event_listener_add",
    "event_listener_remove",
    "events_of",
]
