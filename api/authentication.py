"""Token authentication: revocable, expiring tokens stored as digests (django-rest-knox)."""

from django.utils import timezone
from knox import auth


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token check without its sweep of *every other* token of the user on each request
    (a query that grows with the user's logins, on every call a script makes).

    An expired token is still refused and deleted when used; the others are deleted by
    ``manage.py purge_expired_tokens`` (run it daily).
    """

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
