"""The event outbox (SPEC 8): the catalogue of event types and the one way to write an event.

Every service whose change another party cares about calls ``event_emit`` inside its own
transaction, so a change and its event commit or roll back together. The catalogue below is the
single description of each type's ``data``: ``event_emit`` checks what services write against it
and the API publishes it in the OpenAPI document, so generated clients type every event.

``data`` carries ids and a few fields, never a prompt body: a recipient fetches what it may read
through the API.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from .models import Event, EventRecipient
from .webhook_queue import webhook_deliveries_create

MONEY_RE = re.compile(r"^\d+\.\d{2}$")


@dataclass(frozen=True)
class Field:
    """One key of an event's ``data``: ``kind`` is id, ids, int, float, bool, str or money
    (a token amount as a string with two decimals)."""

    kind: str
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    recipients: str
    fields: dict[str, Field] = field(default_factory=dict)


def _id(what: str, nullable: bool = False) -> Field:
    return Field("id", what, nullable)


_BARTER_FIELDS = {
    "offer": _id("The barter offer."),
    "offerer": _id("The assistant that made the offer."),
    "offered_curriculum": _id("The offerer's curriculum given in exchange."),
    "target_curriculum": _id("The curriculum asked for."),
    "target_curator": _id("The target curriculum's curator."),
}

CATALOGUE: dict[str, EventType] = {
    t.name: t
    for t in [
        EventType(
            "purchase.completed",
            "A prompt was bought on the market.",
            "the buyer's and the seller's owners",
            {
                "purchase": _id("The purchase record (refunds name it)."),
                "listing": _id("The listing bought."),
                "prompt": _id("The listing's prompt."),
                "buyer": _id("The buying assistant."),
                "seller": _id("The selling assistant (the prompt's author)."),
                "licence": _id("The licence the buyer received."),
                "price": Field("money", "Tokens charged (0.00 for a free listing)."),
            },
        ),
        EventType(
            "purchase.refunded",
            "A purchase was refunded: the price went back to the buyer, the licence ended.",
            "the buyer's and the seller's owners",
            {
                "purchase": _id("The refunded purchase."),
                "listing": _id("The listing it was bought on."),
                "prompt": _id("The prompt."),
                "buyer": _id("The buying assistant."),
                "seller": _id("The selling assistant."),
                "amount": Field("money", "Tokens returned to the buyer."),
            },
        ),
        EventType(
            "listing.created",
            "A prompt was put on the market.",
            "the seller's owner",
            {
                "listing": _id("The new listing."),
                "prompt": _id("Its prompt."),
                "seller": _id("The selling assistant."),
                "price": Field("money", "Its price."),
            },
        ),
        EventType(
            "listing.delisted",
            "A listing was taken off the market (licences sold stay valid).",
            "the seller's owner",
            {
                "listing": _id("The listing."),
                "prompt": _id("Its prompt."),
                "seller": _id("The selling assistant."),
            },
        ),
        EventType(
            "listing.price_changed",
            "A listing's price changed.",
            "the seller's owner",
            {
                "listing": _id("The listing."),
                "prompt": _id("Its prompt."),
                "seller": _id("The selling assistant."),
                "old_price": Field("money", "The price before."),
                "price": Field("money", "The price now."),
            },
        ),
        EventType(
            "prompt.version_created",
            "An edit created a new version of a prompt.",
            "the author's owner and the holders of an active licence to the prompt",
            {
                "prompt": _id("The prompt."),
                "version": Field("int", "The new version's number."),
                "author": _id("The prompt's author."),
                "content_hash": Field("str", "SHA-256 of the new version's body."),
            },
        ),
        EventType(
            "prompt.label_moved",
            "A label of a prompt was moved to a version, or removed (version null).",
            "the author's owner and the holders of an active licence to the prompt",
            {
                "prompt": _id("The prompt."),
                "label": Field("str", "The label's name."),
                "version": Field("int", "The version it points to now.", nullable=True),
                "author": _id("The prompt's author."),
            },
        ),
        EventType(
            "prompt.rated",
            "A prompt was rated (or a rater replaced its rating).",
            "the author's owner",
            {
                "prompt": _id("The rated prompt."),
                "rating": _id("The rating entry."),
                "rater": _id("The rating assistant."),
                "trust_score": Field("float", "The rating's own trust score."),
                "replaced": Field("bool", "Whether it replaced the rater's earlier rating."),
            },
        ),
        EventType(
            "prompt.forked",
            "A prompt was forked.",
            "the author's owner",
            {
                "prompt": _id("The forked (source) prompt."),
                "fork": _id("The new prompt, or null when it is private.", nullable=True),
                "assistant": _id("The forking assistant (the fork's author)."),
            },
        ),
        EventType(
            "prompt.mutated",
            "A prompt was mutated (directly or in a training chain step).",
            "the author's owner",
            {
                "prompt": _id("The parent prompt."),
                "mutation": _id("The mutation ring."),
                "mutated_prompt": _id("The new prompt, or null when it is private.", True),
                "assistant": _id("The mutating assistant."),
                "belief_delta": Field("float", "The belief delta the mutation carried."),
            },
        ),
        EventType(
            "mentorship.adopted",
            "A mentee adopted prompts from a mentor.",
            "the mentor's and the mentee's owners",
            {
                "mentorship": _id("The mentorship log."),
                "mentor": _id("The mentor assistant."),
                "mentee": _id("The mentee assistant."),
                "prompts": Field("ids", "The adopted prompts."),
            },
        ),
        EventType(
            "mentorship.feedback",
            "A mentee gave (or replaced) its trust feedback on a mentorship.",
            "the mentor's owner",
            {
                "mentorship": _id("The mentorship log."),
                "mentor": _id("The mentor assistant."),
                "mentee": _id("The mentee assistant."),
                "trust_delta": Field("float", "The feedback, in [-1, 1]."),
            },
        ),
        EventType(
            "curriculum.bought",
            "A curriculum was bought.",
            "the curator's and the buyer's owners",
            {
                "curriculum": _id("The curriculum."),
                "curator": _id("Its curator."),
                "buyer": _id("The buying assistant."),
                "price": Field("money", "Tokens charged."),
            },
        ),
        EventType(
            "curriculum.cloned",
            "A curriculum was cloned.",
            "the curator's and the cloner's owners",
            {
                "curriculum": _id("The original curriculum."),
                "curator": _id("Its curator."),
                "clone": _id("The new curriculum."),
                "assistant": _id("The cloning assistant (the clone's curator)."),
            },
        ),
        EventType(
            "barter.offered",
            "A barter offer was made.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "barter.accepted",
            "A barter offer was accepted: both sides adopted the other's curriculum.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "barter.declined",
            "A barter offer was declined by the target's curator.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "barter.cancelled",
            "A barter offer was withdrawn by the offerer.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "chain.stepped",
            "A training chain took a step.",
            "the owners of the chain's involved assistants",
            {
                "chain": _id("The chain."),
                "step": Field("int", "The step taken (0-based)."),
                "assistant": _id("The assistant whose step it was."),
                "reflection": _id("The reflection recorded."),
                "codex_tension": Field("float", "The chain's codex tension after the step."),
            },
        ),
        EventType(
            "chain.turn",
            "It is now this assistant's turn in a training chain.",
            "the owner of the assistant whose turn it is",
            {
                "chain": _id("The chain."),
                "step": Field("int", "The step to take next (the chain's current_step)."),
                "assistant": _id("The assistant whose turn it is."),
            },
        ),
        EventType(
            "chain.completed",
            "A training chain reached its max_steps.",
            "the owners of the chain's involved assistants",
            {
                "chain": _id("The chain."),
                "steps": Field("int", "The number of steps taken."),
            },
        ),
        EventType(
            "webhook.test",
            "A test delivery asked for with POST /webhooks/{id}/test/: it goes to that endpoint "
            "alone, whatever its types filter, and to no feed.",
            "none (the tested endpoint only)",
            {"webhook": _id("The webhook endpoint tested.")},
        ),
        EventType(
            "webhook.disabled",
            "A webhook endpoint was disabled after failing for too long.",
            "the endpoint's owner",
            {
                "webhook": _id("The webhook endpoint."),
                "url": Field("str", "Its URL."),
            },
        ),
    ]
}

_CHECKS: dict[str, Callable[[Any], bool]] = {
    "id": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "ids": lambda v: (
        isinstance(v, list)
        and all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in v)
    ),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "money": lambda v: isinstance(v, str) and bool(MONEY_RE.match(v)),
}


def event_data_validate(*, type: str, data: dict[str, Any]) -> None:
    """``data`` must have exactly the catalogue's keys for ``type``, each of its kind: an event
    is a published contract, so a service that drifts from it fails loudly (ValueError)."""
    spec = CATALOGUE.get(type)
    if spec is None:
        raise ValueError(f"Unknown event type {type!r}: add it to core.events.CATALOGUE.")
    if set(data) != set(spec.fields):
        raise ValueError(f"{type}: data keys {sorted(data)} != catalogue {sorted(spec.fields)}.")
    for key, f in spec.fields.items():
        value = data[key]
        if value is None and f.nullable:
            continue
        if not _CHECKS[f.kind](value):
            raise ValueError(f"{type}: data[{key!r}] = {value!r} is not a {f.kind}.")


# Taken by every transaction that writes an event on PostgreSQL and held until it commits, so
# events commit in id order: a reader that saw id N never later finds a smaller id appear.
EVENT_ORDER_LOCK = 0x6D797468  # "myth"

# PostgreSQL channel the stream listeners LISTEN on; NOTIFY is delivered only at commit.
EVENTS_CHANNEL = "mythos_events"

# One round trip: take the order lock, insert, and queue the NOTIFY (sent if the change commits).
_INSERT_LOCKED = (
    "WITH ordered AS (SELECT pg_advisory_xact_lock(%s)), "
    "ins AS (INSERT INTO core_event (type, created_at, data) SELECT %s, %s, %s FROM ordered "
    "RETURNING id) "
    "SELECT id, pg_notify(%s, id::text) FROM ins"
)


def _event_insert(*, type: str, data: dict[str, Any]) -> Event:
    event = Event(type=type, data=data)
    if connection.vendor != "postgresql":
        # SQLite runs one writing transaction at a time: ids already commit in order.
        event.save(force_insert=True)
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
                EVENTS_CHANNEL,
            ],
        )
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
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
    dropped) in the caller's transaction: one INSERT for the event, one for its recipients. A
    change that rolls back takes its event with it. After commit, listeners are told.

    ``data`` off the catalogue is a ValueError raised before anything is written."""
    event_data_validate(type=type, data=data)
    return _event_write(type=type, data=data, users=sorted({u for u in recipients if u}))


@transaction.atomic(savepoint=False)  # all or nothing with the change it records
def _event_write(*, type: str, data: dict[str, Any], users: list[int]) -> Event:
    event = _event_insert(type=type, data=data)
    EventRecipient.objects.bulk_create(EventRecipient(event=event, user_id=u) for u in users)
    webhook_deliveries_create(event=event, users=users)
    event_id = event.pk
    transaction.on_commit(lambda: _events_committed(event_id))
    return event


# --- Reads of the outbox (kept beside the writes: one module owns the event tables) ---------------


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
