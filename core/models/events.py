"""The event outbox's tables (SPEC 8): events and the users each is addressed to."""

from django.conf import settings
from django.db import models


class Event(models.Model):
    """Something another party cares about happened (SPEC 8): written by ``core.events.event_emit``
    in the transaction of the change it records (an outbox), never edited. ``id`` is the stream
    position: clients resume after it."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.type}"


class EventRecipient(models.Model):
    """A user an event is addressed to; a user's feed is its rows in event order."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, related_name="recipients", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="event_deliveries", on_delete=models.CASCADE
    )

    class Meta:
        ordering = ["event"]
        # The feed and the stream read by user in event order; emit never repeats a user.
        indexes = [models.Index(fields=["user", "event"], name="event_recipient_user_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.user_id}"
