"""Serializers of the economy API, one module per resource as the views are; this package
re-exports them.
"""

from .licences import (
    LicenceSerializer,
)
from .market import (
    AssistantActionSerializer,
    BuySerializer,
    ForkSerializer,
    InjectionSerializer,
    ListingCreateSerializer,
    ListingPromptField,
    ListingPromptSerializer,
    ListingSerializer,
    ListingUpdateSerializer,
)
from .purchases import (
    BuyResultSerializer,
    PurchaseSerializer,
    RefundResultSerializer,
    RefundSerializer,
)
from .reputation import (
    RatingCreateSerializer,
    RatingMeansSerializer,
    RatingSerializer,
    ReputationSerializer,
    UniqueTagListField,
)
from .trust import (
    TrustMapSerializer,
    TrustObservationSerializer,
)
from .vaults import (
    ExportedJSONField,
    VaultCreateSerializer,
    VaultExportSerializer,
    VaultImportResultSerializer,
    VaultImportSerializer,
    VaultSerializer,
)
from .wallets import (
    LedgerEntrySerializer,
    WalletSerializer,
)

__all__ = [
    "AssistantActionSerializer",
    "BuyResultSerializer",
    "BuySerializer",
    "ExportedJSONField",
    "ForkSerializer",
    "InjectionSerializer",
    "LedgerEntrySerializer",
    "LicenceSerializer",
    "ListingCreateSerializer",
    "ListingPromptField",
    "ListingPromptSerializer",
    "ListingSerializer",
    "ListingUpdateSerializer",
    "PurchaseSerializer",
    "RatingCreateSerializer",
    "RatingMeansSerializer",
    "RatingSerializer",
    "RefundResultSerializer",
    "RefundSerializer",
    "ReputationSerializer",
    "TrustMapSerializer",
    "TrustObservationSerializer",
    "UniqueTagListField",
    "VaultCreateSerializer",
    "VaultExportSerializer",
    "VaultImportResultSerializer",
    "VaultImportSerializer",
    "VaultSerializer",
    "WalletSerializer",
]
