"""Token authentication: revocable, expiring tokens stored as digests (django-rest-knox)."""

from django.utils import timezone
from knox import auth
from rest_framework import exceptions


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token check without its sweep of *every other* token of the user on each request
    (a query that grows with the user's logins, on every call a script makes).

    An expired token is still refused and deleted when used; the others are deleted by
    ``manage.py purge_expired_tokens`` (run it daily).

    A header that is not ASCII (a byte a client or proxy mangled) is an invalid token, 401:
    knox would decode it as UTF-8 and fail with a 500.
    """

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except UnicodeEncodeError:  # a str header beyond latin-1: no WSGI server sends one
            raise exceptions.AuthenticationFailed("Invalid token header.") from None

    def authenticate_credentials(self, token: bytes):
        if not token.isascii():  # knox tokens are hex: anything else cannot match
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
