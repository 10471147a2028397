"""Webhooks (SPEC 8): endpoints, their secrets, and sending deliveries per Standard Webhooks.

Deliveries are written with their event (``core.webhook_queue``) and sent here by the worker job
``core.tasks.webhook_deliver``: one attempt per job run, claimed with a conditional UPDATE so two
workers never send the same attempt, retried on ``WEBHOOK_RETRY_SCHEDULE`` with jitter
(``delivery.py``). Endpoints and their secrets are in ``endpoints.py``, the address rule (SSRF)
in ``targets.py``, purging and re-enqueuing in ``housekeeping.py``.
"""

from .delivery import (
    USER_AGENT,
    WEBHOOK_DELIVERY_OUTCOMES,
    Outcome,
    webhook_delivery_attempt,
    webhook_payload,
    webhook_retry_delay,
    webhook_signatures,
)
from .endpoints import (
    SECRET_BYTES,
    SECRET_PREFIX,
    webhook_create,
    webhook_delete,
    webhook_delivery_retry,
    webhook_secret_generate,
    webhook_secret_rotate,
    webhook_test,
    webhook_types_validate,
    webhook_update,
)
from .housekeeping import webhook_deliveries_purge, webhook_deliveries_requeue_lost
from .targets import Target, address_is_forbidden, host_resolve, webhook_target_vet

__all__ = [
    "SECRET_BYTES",
    "SECRET_PREFIX",
    "USER_AGENT",
    "WEBHOOK_DELIVERY_OUTCOMES",
    "Outcome",
    "Target",
    "address_is_forbidden",
    "host_resolve",
    "webhook_create",
    "webhook_delete",
    "webhook_deliveries_purge",
    "webhook_deliveries_requeue_lost",
    "webhook_delivery_attempt",
    "webhook_delivery_retry",
    "webhook_payload",
    "webhook_retry_delay",
    "webhook_secret_generate",
    "webhook_secret_rotate",
    "webhook_signatures",
    "webhook_target_vet",
    "webhook_test",
    "webhook_types_validate",
    "webhook_update",
]
