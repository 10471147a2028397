"""The webhook half of the outbox: a delivery row per matching endpoint, written with its event.

``core.events`` calls ``webhook_deliveries_create`` in the event's transaction, so a committed
event always has its deliveries; the worker job is enqueued only once that transaction commits.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import Event, WebhookDelivery, WebhookEndpoint
from .tasks import webhook_deliver


def webhook_endpoint_matches(*, types: list[str], event_type: str) -> bool:
    """An endpoint takes an event when its ``types`` filter is empty or names the event's type."""
    return not types or event_type in types


def webhook_deliveries_enqueue(ids: Iterable[int], *, run_after: datetime | None = None) -> None:
    """Enqueue the delivery jobs once the current transaction commits (never a send for a row
    that rolled back, never a job the worker cannot see yet)."""
    ids = list(ids)

    def enqueue() -> None:
        job = webhook_deliver.using(run_after=run_after) if run_after else webhook_deliver
        for delivery_id in ids:
            job.enqueue(delivery_id)

    if ids:
        # Robust: the change has committed, so a queue that cannot take the job now (database
        # blip) must not turn the answer into an error; the delivery row stays pending and
        # housekeeping (webhook_deliveries_requeue_lost) enqueues it again.
        transaction.on_commit(enqueue, robust=True)


def webhook_deliveries_create(*, event: Event, users: list[int]) -> list[WebhookDelivery]:
    """A pending delivery of ``event`` for each active endpoint of ``users`` whose filter matches
    (one SELECT; one INSERT when any match), in the caller's transaction."""
    if not users:
        return []
    endpoints = WebhookEndpoint.objects.filter(owner_id__in=users, is_active=True).values_list(
        "id", "types"
    )
    matched = [
        pk
        for pk, types in endpoints
        if webhook_endpoint_matches(types=types, event_type=event.type)
    ]
    return webhook_deliveries_for(event=event, endpoint_ids=matched)


def webhook_deliveries_for(*, event: Event, endpoint_ids: list[int]) -> list[WebhookDelivery]:
    if not endpoint_ids:
        return []
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint_id=pk, next_attempt_at=now) for pk in endpoint_ids
    )
    webhook_deliveries_enqueue(d.pk for d in deliveries)
    return deliveries
