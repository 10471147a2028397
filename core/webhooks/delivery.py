"""Sending deliveries per Standard Webhooks: one attempt per job run, claimed with a conditional
UPDATE so two workers never send the same attempt, retried on ``WEBHOOK_RETRY_SCHEDULE`` with
jitter; an endpoint failing for WEBHOOK_DISABLE_AFTER is disabled."""

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from prometheus_client import Counter
from standardwebhooks import Webhook

from .. import exceptions
from ..events import event_emit
from ..models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..webhook_queue import webhook_deliveries_enqueue
from .targets import webhook_target_vet

USER_AGENT = "MythOS-Webhooks/1"

WEBHOOK_DELIVERY_OUTCOMES = Counter(
    "mythos_webhook_delivery_attempts",
    "Webhook delivery attempts by outcome: succeeded, retrying, failed (gave up), refused (the "
    "target became a forbidden address), skipped (the endpoint is inactive).",
    ["outcome"],
)


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
