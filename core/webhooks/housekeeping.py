"""Webhook housekeeping: purging finished deliveries and re-enqueuing lost ones."""

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import WebhookAttempt, WebhookDelivery
from ..webhook_queue import webhook_deliveries_enqueue


def webhook_deliveries_purge(*, now: datetime | None = None) -> int:
    """Finished deliveries (succeeded or failed) older than WEBHOOK_DELIVERY_RETENTION go, with
    their attempts; pending ones stay whatever their age. Answers how many deliveries went."""
    cutoff = (now or timezone.now()) - settings.WEBHOOK_DELIVERY_RETENTION
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(
        status=WebhookDelivery.Status.PENDING
    )
    WebhookAttempt.objects.filter(delivery__in=old).delete()
    deleted, _ = old.delete()
    return deleted


def webhook_deliveries_requeue_lost(*, now: datetime | None = None) -> int:
    """Pending deliveries overdue by WEBHOOK_REQUEUE_AFTER with no live lease lost their job (a
    process died between the commit and the enqueue, or a worker died mid-attempt): enqueue them
    again, at most 1,000 a run. A job too many is harmless: the attempt's claim lets one send.
    Answers how many were enqueued."""
    now = now or timezone.now()
    overdue = now - settings.WEBHOOK_REQUEUE_AFTER
    ids = list(
        WebhookDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lt=overdue,
        )
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    webhook_deliveries_enqueue(ids)
    return len(ids)
