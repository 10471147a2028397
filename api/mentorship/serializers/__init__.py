"""Serializers of the mentorship API, one module per resource as the views are; this package
re-exports them.
"""

from .barters import (
    BarterOfferSerializer,
    CurriculumBarterSerializer,
)
from .bundles import (
    RitualTagBundleSerializer,
    RitualTagBundleUpdateSerializer,
)
from .curricula import (
    CodexAlignmentField,
    CurriculumBuySerializer,
    CurriculumCloneSerializer,
    CurriculumPurchaseSerializer,
    PromptCurriculumVaultSerializer,
    PromptCurriculumVaultUpdateSerializer,
)
from .mentors import (
    NOTES_MAX,
    MentorshipAdoptSerializer,
    MentorshipFeedbackSerializer,
    MentorshipLogSerializer,
    MentorshipOverviewSerializer,
    MentorTagSerializer,
    MentorTagWriteSerializer,
    OfferedPromptSerializer,
)

__all__ = [
    "NOTES_MAX",
    "BarterOfferSerializer",
    "CodexAlignmentField",
    "CurriculumBarterSerializer",
    "CurriculumBuySerializer",
    "CurriculumCloneSerializer",
    "CurriculumPurchaseSerializer",
    "MentorTagSerializer",
    "MentorTagWriteSerializer",
    "MentorshipAdoptSerializer",
    "MentorshipFeedbackSerializer",
    "MentorshipLogSerializer",
    "MentorshipOverviewSerializer",
    "OfferedPromptSerializer",
    "PromptCurriculumVaultSerializer",
    "PromptCurriculumVaultUpdateSerializer",
    "RitualTagBundleSerializer",
    "RitualTagBundleUpdateSerializer",
]
