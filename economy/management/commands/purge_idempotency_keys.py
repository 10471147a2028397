from django.core.management.base import BaseCommand

from economy.services import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL (run it daily)."

    def handle(self, *args, **options):
        deleted = idempotency_keys_purge()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
