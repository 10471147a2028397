from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("assistants", views.AssistantViewSet, basename="assistants")
router.register("prompts", views.PromptViewSet, basename="prompts")
router.register("rituals", views.RitualViewSet, basename="rituals")
router.register("codex-clauses", views.CodexClauseViewSet, basename="codex-clauses")

urlpatterns = router.urls
