"""Models of the economy, one module per resource; this package re-exports them (Django finds
them here).
"""

from .idempotency import (
    IdempotencyKey,
)
from .ledger import (
    LedgerEntry,
    Wallet,
)
from .market import (
    ListingAdoption,
    PromptInjection,
    PromptTokenListing,
    Purchase,
)
from .reputation import (
    PromptReputationScore,
)
from .trust import (
    AssistantPromptTrustMap,
)
from .vaults import (
    PromptMarketplaceVault,
)

__all__ = [
    "AssistantPromptTrustMap",
    "IdempotencyKey",
    "LedgerEntry",
    "ListingAdoption",
    "PromptInjection",
    "PromptMarketplaceVault",
    "PromptReputationScore",
    "PromptTokenListing",
    "Purchase",
    "Wallet",
]
