"""Webhooks (SPEC 8): endpoints, their secrets, and sending deliveries per Standard Webhooks.

Deliveries are written with their event (``core.webhook_queue``) and sent here by the worker job
``core.tasks.webhook_deliver``: one attempt per job run, claimed with a conditional UPDATE so two
workers never send the same attempt, retried on ``WEBHOOK_RETRY_SCHEDULE`` with jitter.

No request goes to a private, loopback, link-local, multicast, reserved or metadata address
unless ``WEBHOOK_ALLOW_PRIVATE_TARGETS``: the host is resolved, every address it resolves to is
checked, and the connection goes to the address checked (a second DNS answer never counts).
"""

import base64
import ipaddress
import json
import random
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from prometheus_client import Counter
from standardwebhooks import Webhook

from . import exceptions
from .events import CATALOGUE, event_emit
from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .webhook_queue import webhook_deliveries_enqueue, webhook_deliveries_for

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
USER_AGENT = "MythOS-Webhooks/1"

WEBHOOK_DELIVERY_OUTCOMES = Counter(
    "mythos_webhook_delivery_attempts",
    "Webhook delivery attempts by outcome: succeeded, retrying, failed (gave up), refused (the "
    "target became a forbidden address), skipped (the endpoint is inactive).",
    ["outcome"],
)


def webhook_secret_generate() -> str:
    """``whsec_`` + base64 of 32 random bytes (Standard Webhooks secret format)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# --- Targets (SSRF) --------------------------------------------------------------------------


def address_is_forbidden(address: str) -> bool:
    """Private, loopback, link-local (169.254.169.254, the cloud metadata address, among them),
    multicast, reserved, unspecified and every other non-global range (IPv4-mapped IPv6
    addresses, ``::ffff:0:0/96``, are never global, so none gets through)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # 6to4 and Teredo addresses carry an IPv4 address a relay may route to: check it too.
        inner = [ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if any(v4 is not None and address_is_forbidden(str(v4)) for v4 in inner):
            return True
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local


def host_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise exceptions.WebhookUrlUnresolvable(field="url") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise exceptions.WebhookUrlUnresolvable(field="url")
    return addresses


@dataclass(frozen=True)
class Target:
    url: httpx.URL  # the URL with its host replaced by the vetted address
    host_header: str
    sni_hostname: str | None


def webhook_target_vet(*, url: str) -> Target:
    """The rule for where a webhook may go, checked at creation, on every URL change and before
    every attempt: https, or http to a loopback address when DEBUG or WEBHOOK_ALLOW_HTTP_LOOPBACK;
    and no forbidden address among those the host resolves to unless
    WEBHOOK_ALLOW_PRIVATE_TARGETS. Answers the address to connect to."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        raise exceptions.WebhookUrlInsecure(field="url")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise exceptions.WebhookUrlUnresolvable(field="url") from None
    addresses = host_resolve(host, port)
    if scheme == "http":
        http_allowed = settings.DEBUG or settings.WEBHOOK_ALLOW_HTTP_LOOPBACK
        loopback = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
        if not (http_allowed and loopback):
            raise exceptions.WebhookUrlInsecure(field="url")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and any(map(address_is_forbidden, addresses)):
        raise exceptions.WebhookUrlForbidden(field="url")
    original = httpx.URL(url)
    return Target(
        url=original.copy_with(host=addresses[0]),
        host_header=original.netloc.decode("ascii"),
        sni_hostname=host if scheme == "https" else None,
    )


def webhook_types_validate(types: list[str]) -> list[str]:
    """Every name in a ``types`` filter is a catalogue type; duplicates are dropped."""
    unknown = [t for t in types if t not in CATALOGUE]
    if unknown:
        raise exceptions.UnknownEventType(
            f"Unknown event type {unknown[0]!r}: see the event catalogue.", field="types"
        )
    return list(dict.fromkeys(types))


# --- Endpoints -------------------------------------------------------------------------------


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


# --- Sending ---------------------------------------------------------------------------------


def webhook_retry_delay(*, attempts: int) -> timedelta | None:
    """Delay before the next attempt after ``attempts`` failed ones: WEBHOOK_RETRY_SCHEDULE's
    entry times a jitter in [0.8, 1.2) (so a receiver's outage is not met by a thundering
    herd), or None once the schedule is used up (the delivery has failed)."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1] * random.uniform(0.8, 1.2))


def webhook_signatures(*, endpoint: WebhookEndpoint, msg_id: str, at: datetime, body: str) -> str:
    """``v1,<sig>`` under the current secret, and under the previous one while its rotation
    grace lasts, space-separated (the reference library computes each)."""
    secrets_in_use = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > at:
        secrets_in_use.append(endpoint.previous_secret)
    return " ".join(Webhook(s).sign(msg_id=msg_id, timestamp=at, data=body) for s in secrets_in_use)


def webhook_payload(event: Event) -> str:
    """The body every attempt of ``event`` carries: ``{"type", "timestamp", "data"}``."""
    return json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.data},
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str = ""
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _send(*, endpoint: WebhookEndpoint, event: Event, at: datetime) -> Outcome:
    try:
        target = webhook_target_vet(url=endpoint.url)
    except exceptions.DomainError as exc:
        return Outcome(error=exc.message, refused=True)
    body = webhook_payload(event)
    msg_id = str(event.pk)
    headers = {
        "host": target.host_header,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": webhook_signatures(endpoint=endpoint, msg_id=msg_id, at=at, body=body),
    }
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    # No proxies from the environment (they would resolve the host again) and no redirects.
    with httpx.Client(
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
    ) as client:
        try:
            # The body of the answer is never read: only its status counts.
            with client.stream(
                "POST", target.url, content=body.encode(), headers=headers, extensions=extensions
            ) as response:
                return Outcome(status_code=response.status_code)
        except httpx.HTTPError as exc:
            return Outcome(error=f"{type(exc).__name__}: {exc}"[:500])


def _claim(*, delivery_id: int, now: datetime) -> bool:
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    due = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = WebhookDelivery.objects.filter(
        due,
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
    ).update(claimed_until=lease, attempts=F("attempts") + 1, updated_at=now)
    return claimed == 1


def webhook_delivery_attempt(*, delivery_id: int) -> str | None:
    """Send the due attempt of a delivery, once: a conditional UPDATE claims it (pending, due,
    no live lease) and counts the attempt, so two workers never send the same attempt. Any 2xx
    succeeds; anything else schedules the next attempt (``webhook_retry_delay``) or fails the
    delivery. The endpoint's failure streak (``failing_since``) ends at a success; at
    WEBHOOK_DISABLE_AFTER the endpoint is disabled and its owner gets ``webhook.disabled``.
    Answers the outcome, or None when there was nothing to send."""
    now = timezone.now()
    if not _claim(delivery_id=delivery_id, now=now):
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    started = time.monotonic()
    if endpoint.is_active:
        outcome = _send(endpoint=endpoint, event=delivery.event, at=now)
    else:
        outcome = Outcome(error="The endpoint is inactive.")
    duration_ms = int((time.monotonic() - started) * 1000)
    result = _attempt_record(
        delivery=delivery,
        outcome=outcome,
        at=now,
        duration_ms=duration_ms,
        skipped=not endpoint.is_active,
    )
    WEBHOOK_DELIVERY_OUTCOMES.labels(outcome=result).inc()
    return result


@transaction.atomic
def _attempt_record(
    *, delivery: WebhookDelivery, outcome: Outcome, at: datetime, duration_ms: int, skipped: bool
) -> str:
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=at,
        status_code=outcome.status_code,
        duration_ms=duration_ms,
        error=outcome.error,
    )
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    locked.claimed_until = None
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if outcome.ok:
        locked.status = WebhookDelivery.Status.SUCCEEDED
        locked.next_attempt_at = None
        result = "succeeded"
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since", "updated_at"])
    else:
        delay = None if skipped else webhook_retry_delay(attempts=locked.attempts)
        if delay is None:
            locked.status = WebhookDelivery.Status.FAILED
            locked.next_attempt_at = None
            result = "skipped" if skipped else "refused" if outcome.refused else "failed"
        else:
            locked.next_attempt_at = at + delay
            webhook_deliveries_enqueue([locked.pk], run_after=locked.next_attempt_at)
            result = "refused" if outcome.refused else "retrying"
        if not skipped:
            _failure_streak(endpoint=endpoint, at=at)
    locked.save(update_fields=["status", "next_attempt_at", "claimed_until", "updated_at"])
    return result


def _failure_streak(*, endpoint: WebhookEndpoint, at: datetime) -> None:
    if endpoint.failing_since is None:
        endpoint.failing_since = at
        endpoint.save(update_fields=["failing_since", "updated_at"])
        return
    if endpoint.is_active and at - endpoint.failing_since >= settings.WEBHOOK_DISABLE_AFTER:
        endpoint.is_active = False
        endpoint.disabled_at = at
        endpoint.save(update_fields=["is_active", "disabled_at", "updated_at"])
        event_emit(
            type="webhook.disabled",
            data={"webhook": endpoint.pk, "url": endpoint.url},
            recipients=[endpoint.owner_id],
        )


# --- Housekeeping ----------------------------------------------------------------------------


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
