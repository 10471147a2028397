"""Webhook endpoints: creating, changing, rotating the secret of, deleting and testing one, and
asking for a delivery to be sent again."""

import base64
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import exceptions
from ..events import CATALOGUE, event_emit
from ..models import WebhookDelivery, WebhookEndpoint
from ..webhook_queue import webhook_deliveries_enqueue, webhook_deliveries_for
from .targets import webhook_target_vet

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def webhook_secret_generate() -> str:
    """``whsec_`` + base64 of 32 random bytes (Standard Webhooks secret format)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_types_validate(types: list[str]) -> list[str]:
    """Every name in a ``types`` filter is a catalogue type; duplicates are dropped."""
    unknown = [t for t in types if t not in CATALOGUE]
    if unknown:
        raise exceptions.UnknownEventType(
            f"Unknown event type {unknown[0]!r}: see the event catalogue.", field="types"
        )
    return list(dict.fromkeys(types))


@transaction.atomic
def webhook_create(
    *,
    owner,
    url: str,
    types: list[str] | None = None,
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint for ``owner`` with a fresh secret (shown once, by the caller). The URL
    must pass ``webhook_target_vet`` and every type must be in the catalogue."""
    webhook_target_vet(url=url)
    return WebhookEndpoint.objects.create(
        owner=owner,
        url=url,
        types=webhook_types_validate(types or []),
        description=description,
        is_active=is_active,
        secret=webhook_secret_generate(),
    )


@transaction.atomic
def webhook_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change ``url`` (vetted again), ``types``, ``description`` or ``is_active``. Turning an
    endpoint back on forgets its failure streak, so it gets five fresh days."""
    if "url" in changes and changes["url"] != endpoint.url:
        webhook_target_vet(url=changes["url"])
    if "types" in changes:
        changes["types"] = webhook_types_validate(changes["types"])
    if changes.get("is_active") and not endpoint.is_active:
        endpoint.failing_since = None
        endpoint.disabled_at = None
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret signs from now on; the one it replaces keeps signing beside it (two
    ``v1,`` entries) for WEBHOOK_SECRET_ROTATION_GRACE, so receivers can switch without a gap."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + settings.WEBHOOK_SECRET_ROTATION_GRACE
    endpoint.secret = webhook_secret_generate()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_delete(*, endpoint: WebhookEndpoint) -> None:
    """The endpoint goes with its deliveries (the events stay in the feed)."""
    endpoint.delete()


@transaction.atomic
def webhook_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event delivered to this endpoint alone, whatever its filter (409
    ``webhook_inactive`` for an inactive endpoint). It is in nobody's feed."""
    if not endpoint.is_active:
        raise exceptions.WebhookInactive()
    event = event_emit(type="webhook.test", data={"webhook": endpoint.pk}, recipients=[])
    (delivery,) = webhook_deliveries_for(event=event, endpoint_ids=[endpoint.pk])
    delivery.event = event
    return delivery


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery again now: pending (waiting for its next attempt) or failed ones.
    409 ``delivery_succeeded``, ``delivery_in_flight`` (a worker is sending it) or
    ``webhook_inactive``."""
    now = timezone.now()
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status == WebhookDelivery.Status.SUCCEEDED:
        raise exceptions.DeliverySucceeded()
    if locked.claimed_until is not None and locked.claimed_until > now:
        raise exceptions.DeliveryInFlight()
    if not delivery.endpoint.is_active:
        raise exceptions.WebhookInactive()
    locked.status = WebhookDelivery.Status.PENDING
    locked.next_attempt_at = now
    locked.save(update_fields=["status", "next_attempt_at", "updated_at"])
    webhook_deliveries_enqueue([locked.pk])
    return locked
