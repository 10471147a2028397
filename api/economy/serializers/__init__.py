"""Serializers of the economy API, one module per resource as the views are; this package
re-exports them.
"""

from .licences import (
    LicenceSerializer,
)
from .market import (
    LISTING_ROW_VALUES,
    AssistantActionSerializer,
    BuySerializer,
    ForkSerializer,
    InjectionSerializer,
    ListingCreateSerializer,
    ListingPromptField,
    ListingPromptSerializer,
    ListingSerializer,
    ListingUpdateSerializer,
    listing_row_representation,
)
from .purchases import (
    BuyResultSerializer,
    PurchaseSerializer,
    RefundResultSerializer,
    RefundSerializer,
)
from .reputation import (
    RATING_ROW_VALUES,
    RatingCreateSerializer,
    RatingMeansSerializer,
    RatingSerializer,
    ReputationSerializer,
    UniqueTagListField,
    rating_row_representation,
    reputation_representation,
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
    "LISTING_ROW_VALUES",
    "RATING_ROW_VALUES",
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
    "listing_row_representation",
    "rating_row_representation",
    "reputation_representation",
]
