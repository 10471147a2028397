"""Idempotent POSTs with Stripe's semantics, for any action that charges (``buy`` on prompts and
on curricula).

Use it as a decorator under ``@action`` (and document the header with
``IDEMPOTENCY_KEY_PARAMETER`` and the codes in ``IDEMPOTENCY_409_CODES``)::

    @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER], responses={...})
    @action(detail=True, methods=["post"])
    @idempotent_action(scope="market_prompts_buy")
    def buy(self, request, pk=None): ...

or call ``idempotent(request, scope=..., handler=..., view=self)`` from a view.

Rules:

- Without an ``Idempotency-Key`` header the request runs as usual.
- Keys are per user (two users may use the same key) and kept at least
  ``settings.IDEMPOTENCY_KEY_TTL``; an older key counts as unused.
- The first request with a key stores its status and body (any outcome below 500, errors
  included) in the transaction of its own writes. A replay with the same method, path and body
  gets that response back with ``Idempotent-Replayed: true`` and changes nothing.
- The same key with a different request: 409 ``idempotency_key_reused``.
- While the first request is running, another with the same key gets 409
  ``idempotency_request_in_progress`` (retry later to get the replay); so concurrent requests
  with one key charge at most once, across workers (the keys live in the database).
- A request that fails with a server error releases its key so the client can retry.
- A key still ``in_progress`` after ``settings.IDEMPOTENCY_STALE_SECONDS`` (longer than any
  request may run: the server's timeout kills it first) belongs to a request whose worker died;
  the next retry with the same request takes it over and runs, so it is charged once.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from economy.exceptions import (
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
    InvalidIdempotencyKey,
)
from economy.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, 1-255 printable ASCII characters, unique per request you mean (e.g. a UUID). "
        "Retrying with the same key and the same request returns the first response and charges "
        "nothing; the same key with a different request is 409 `idempotency_key_reused`; while "
        "the first is still running, 409 `idempotency_request_in_progress`. Keys are per user "
        "and kept at least 24 hours."
    ),
)
IDEMPOTENCY_409_CODES = ("idempotency_key_reused", "idempotency_request_in_progress")
# The conflicts every buy answers (a listing's and a curriculum's alike).
BUY_409_CODES = ("insufficient_funds", "already_owned", "listing_inactive", "price_changed")
IDEMPOTENCY_400_CODES = ("invalid_idempotency_key",)


def request_fingerprint(request: Request, scope: str) -> str:
    """SHA-256 of scope, method, path and the canonical JSON of the parsed body."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    raw = "\n".join([scope, request.method or "", request.path, body])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(32 <= ord(c) < 127 for c in key)


def _claim(*, user, key: str, scope: str, fingerprint: str) -> IdempotencyKey | Response:
    """Claim the key (its own short transaction, so other workers see it at once), or answer
    from the record that holds it: a replay, or a 409."""
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=user, key=key, scope=scope, fingerprint=fingerprint
                )
        except IntegrityError:
            pass
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is None:
            continue  # purged meanwhile: claim again
        if record.created_at < timezone.now() - settings.IDEMPOTENCY_KEY_TTL:
            IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at).delete()
            continue  # expired: the key is free again
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(field=HEADER)
        if record.state != IdempotencyKey.State.COMPLETED:
            if _reclaim_abandoned(record):
                return record
            raise IdempotencyRequestInProgress(field=HEADER)
        response = Response(record.response_body, status=record.response_status)
        response[REPLAY_HEADER] = "true"
        return response
    raise IdempotencyRequestInProgress(field=HEADER)


def _reclaim_abandoned(record: IdempotencyKey) -> bool:
    """Take over a key left ``in_progress`` longer than IDEMPOTENCY_STALE_SECONDS: its request
    was killed with its worker (its transaction rolled back, nothing charged). One conditional
    UPDATE, so of several concurrent retries exactly one wins; the others get the 409."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS)
    if record.created_at >= stale_before:
        return False
    won = IdempotencyKey.objects.filter(
        pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS, created_at=record.created_at
    ).update(created_at=now)
    record.created_at = now
    return won == 1


def _complete(record: IdempotencyKey, response: Response) -> None:
    IdempotencyKey.objects.filter(pk=record.pk).update(
        state=IdempotencyKey.State.COMPLETED,
        response_status=response.status_code,
        response_body=response.data,
        completed_at=timezone.now(),
    )


def idempotent(request: Request, *, scope: str, handler: Callable[[], Response], view) -> Response:
    """Run ``handler`` at most once per (user, Idempotency-Key); see the module docstring.

    ``view`` is the DRF view: its ``handle_exception`` turns the handler's errors into the
    response that is stored and replayed.
    """
    key = request.headers.get(HEADER)
    if key is None or not request.user.is_authenticated:
        return handler()
    if not _valid_key(key):
        raise InvalidIdempotencyKey(field=HEADER)
    claimed = _claim(
        user=request.user, key=key, scope=scope, fingerprint=request_fingerprint(request, scope)
    )
    if isinstance(claimed, Response):
        return claimed
    record = claimed
    try:
        try:
            with transaction.atomic():
                response = handler()
                if response.status_code < 500:
                    _complete(record, response)  # committed together with the charge
                    return response
        except Exception as exc:  # the handler's own error response, stored like a success
            response = view.handle_exception(exc)  # re-raises what it cannot handle
            if response.status_code < 500:
                _complete(record, response)
                return response
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyKey.objects.filter(pk=record.pk).delete()
    return response


def idempotent_action(*, scope: str) -> Callable:
    """Decorator form of ``idempotent`` for a ViewSet action (put it under ``@action``)."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(self, request, *args, **kwargs):
            return idempotent(
                request,
                scope=scope,
                handler=lambda: func(self, request, *args, **kwargs),
                view=self,
            )

        return wrapper

    return decorator
