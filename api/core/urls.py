from rest_framework.routers import SimpleRouter

from api.viewsets import ID_REGEX

from . import versions, views

router = SimpleRouter()
router.register("assistants", views.AssistantViewSet, basename="assistants")
router.register("prompts", views.PromptViewSet, basename="prompts")
router.register(
    rf"prompts/(?P<prompt_pk>{ID_REGEX})/versions",
    versions.PromptVersionViewSet,
    basename="prompts-versions",
)
router.register(
    rf"prompts/(?P<prompt_pk>{ID_REGEX})/labels",
    versions.PromptLabelViewSet,
    basename="prompts-labels",
)
router.register("rituals", views.RitualViewSet, basename="rituals")
router.register("codex-clauses", views.CodexClauseViewSet, basename="codex-clauses")

urlpatterns = router.urls
