"""Webhook endpoints, their deliveries and each delivery's attempts (SPEC 8)."""

from django.conf import settings
from django.db import models

from .events import Event


class WebhookEndpoint(models.Model):
    """A URL a user asked to receive its events at (SPEC 8), signed with ``secret``.

    ``types`` filters by event type (empty: every type). During a rotation the old secret keeps
    signing beside the new one until ``previous_secret_expires_at``. ``failing_since`` is the
    first failed attempt with no success after it: the endpoint is disabled when it gets too old.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="webhook_endpoints", on_delete=models.CASCADE
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True, default="")
    types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # event_emit looks up the active endpoints of an event's recipients on every event.
        indexes = [models.Index(fields=["owner", "is_active"], name="webhook_owner_active_idx")]

    def __str__(self) -> str:
        return f"{self.pk} {self.url}"


class WebhookDelivery(models.Model):
    """One event to send to one endpoint; retried on the job worker until it succeeds or gives up.

    ``claimed_until`` is the lease of the worker sending the current attempt: while it is in the
    future no other worker may send this delivery."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, related_name="webhook_deliveries", on_delete=models.CASCADE)
    endpoint = models.ForeignKey(
        WebhookEndpoint, related_name="deliveries", on_delete=models.CASCADE
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["endpoint", "id"], name="webhook_delivery_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.pk} {self.event_id} → {self.endpoint_id} {self.status}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: when, what the receiver answered, how long it took."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(
        WebhookDelivery, related_name="attempt_log", on_delete=models.CASCADE
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.attempted_at} {self.status_code or self.error}"
