"""Writes of the economy, one module per resource; this package re-exports their public names.

Each function states the rule it enforces; derived numbers come from one formula function each.
A module here imports its siblings directly, never this package.
"""

from .idempotency import (
    idempotency_keys_purge,
    idempotency_keys_release_stale,
)
from .listings import (
    listing_create,
    listing_delist,
    listing_update,
)
from .purchases import (
    Injection,
    Sale,
    listing_buy,
    listing_inject,
)
from .refunds import (
    Refund,
    purchase_refund,
    purchase_use_checks,
    purchase_used_by_buyer,
    refund_window_open,
)
from .reputation import (
    prompt_rate,
    prompt_rating_delete,
)
from .trust import (
    trust_observe,
)
from .vaults import (
    VAULT_FORMAT_VERSION,
    VAULT_MAX_PROMPTS,
    canonical_json,
    vault_create,
    vault_export_build,
    vault_import,
    vault_signature,
)
from .wallets import (
    AUTOMATIC_GRANT_PREFIX,
    STAFF_GRANT_PREFIX,
    Transfer,
    assistant_open,
    assistant_pay,
    grant_cents,
    ledger_transfer,
    wallet_create_with_grant,
    wallet_grant,
)

__all__ = [
    "AUTOMATIC_GRANT_PREFIX",
    "STAFF_GRANT_PREFIX",
    "VAULT_FORMAT_VERSION",
    "VAULT_MAX_PROMPTS",
    "Injection",
    "Refund",
    "Sale",
    "Transfer",
    "assistant_open",
    "assistant_pay",
    "canonical_json",
    "grant_cents",
    "idempotency_keys_purge",
    "idempotency_keys_release_stale",
    "ledger_transfer",
    "listing_buy",
    "listing_create",
    "listing_delist",
    "listing_inject",
    "listing_update",
    "prompt_rate",
    "prompt_rating_delete",
    "purchase_refund",
    "purchase_use_checks",
    "purchase_used_by_buyer",
    "refund_window_open",
    "trust_observe",
    "vault_create",
    "vault_export_build",
    "vault_import",
    "vault_signature",
    "wallet_create_with_grant",
    "wallet_grant",
]
