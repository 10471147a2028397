"""Housekeeping of idempotency keys: purge the expired, release the stale."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..models import (
    IdempotencyKey,
)


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_KEY_TTL (they are kept at least that long)."""
    cutoff = (now or timezone.now()) - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def idempotency_keys_release_stale(*, now: datetime | None = None) -> int:
    """Delete keys still ``in_progress`` after IDEMPOTENCY_STALE_SECONDS: their request died with
    its worker (its transaction rolled back), so the key is free for the client's retry."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS)
    deleted, _ = IdempotencyKey.objects.filter(
        state=IdempotencyKey.State.IN_PROGRESS, created_at__lt=cutoff
    ).delete()
    return deleted
