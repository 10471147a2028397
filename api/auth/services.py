from datetime import datetime

from django.utils import timezone
from knox.models import AuthToken


def auth_tokens_purge_expired(*, now: datetime | None = None) -> int:
    """Delete API tokens past their expiry (authentication refuses them anyway)."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=now or timezone.now()).delete()
    return deleted
