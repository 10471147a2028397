from rest_framework.routers import SimpleRouter

from .views import (
    AssistantMentorshipViewSet,
    BarterOfferViewSet,
    MentorshipViewSet,
    PromptCurriculumVaultViewSet,
    RitualTagBundleViewSet,
)

router = SimpleRouter()
# Detail actions only under core's /assistants/{id}/ (same basename: assistants_mentorship_*).
router.register("assistants", AssistantMentorshipViewSet, basename="assistants")
router.register("mentorships", MentorshipViewSet, basename="mentorships")
router.register("ritual-bundles", RitualTagBundleViewSet, basename="ritual_bundles")
router.register("market/curriculum", PromptCurriculumVaultViewSet, basename="market_curriculum")
router.register("market/barters", BarterOfferViewSet, basename="market_barters")

urlpatterns = router.urls
