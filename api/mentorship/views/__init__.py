"""Views of the mentorship API, one module per resource; this package re-exports the viewsets."""

from .barters import BarterOfferViewSet
from .bundles import RitualTagBundleViewSet
from .curricula import PromptCurriculumVaultViewSet
from .mentors import AssistantMentorshipViewSet, MentorshipViewSet

__all__ = [
    "AssistantMentorshipViewSet",
    "BarterOfferViewSet",
    "MentorshipViewSet",
    "PromptCurriculumVaultViewSet",
    "RitualTagBundleViewSet",
]
