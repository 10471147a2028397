from django.core.management.base import BaseCommand

from api.auth.services import auth_tokens_purge_expired


class Command(BaseCommand):
    help = "Delete expired API tokens (the job worker's housekeeping does it every few minutes)."

    def handle(self, *args, **options):
        deleted = auth_tokens_purge_expired()
        self.stdout.write(f"Deleted {deleted} expired token(s).")
