"""Token authentication: revocable, expiring tokens stored as digests (django-rest-knox)."""

import binascii
from hmac import compare_digest

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import authentication, exceptions

from core.compiled import compiled_rows

_TOKEN_FIELDS = [field.attname for field in AuthToken._meta.concrete_fields]
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]


def _tokens_with_key(token_key: str) -> list[AuthToken]:
    """The tokens whose key is ``token_key``, each with its user: knox's
    ``filter(token_key=...).select_related("user")``, compiled once (``core.compiled``)."""
    rows = compiled_rows(
        shape="knox-token-by-key",
        build=lambda token_key: AuthToken.objects.filter(token_key=token_key).values(
            *_TOKEN_FIELDS, *(f"user__{name}" for name in _USER_FIELDS)
        ),
        ids={"token_key": token_key},
    )
    tokens = []
    for row in rows:
        token = AuthToken.from_db(
            connection.alias, _TOKEN_FIELDS, [row[name] for name in _TOKEN_FIELDS]
        )
        token.user = User.from_db(
            connection.alias, _USER_FIELDS, [row[f"user__{name}"] for name in _USER_FIELDS]
        )
        tokens.append(token)
    return tokens


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token check without its sweep of *every other* token of the user on each request
    (a query that grows with the user's logins, on every call a script makes), and with its
    look-up compiled once instead of built by the ORM on every request.

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
        """knox's ``authenticate_credentials``, step for step: the tokens sharing the key
        prefix, expired ones deleted and skipped, the digest compared in constant time, an
        inactive user refused (``validate_user``)."""
        msg = "Invalid token."
        if not token.isascii():  # knox tokens are hex: anything else cannot match
            raise exceptions.AuthenticationFailed(msg)
        text = token.decode("ascii")
        for auth_token in _tokens_with_key(text[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(msg) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, without working out the user of a request that carries no
    session cookie: that user is anonymous, and finding it out loads an empty session and
    builds the lazy user on every API call. The session is still marked as read, as that
    look-up marks it, so the answer varies on ``Cookie`` exactly as before."""

    def authenticate(self, request):
        django_request = request._request
        if settings.SESSION_COOKIE_NAME not in django_request.COOKIES:
            session = getattr(django_request, "session", None)
            if session is not None:
                session.accessed = True
            return None
        return super().authenticate(request)
