from rest_framework.routers import SimpleRouter

from api.viewsets import ID_REGEX

from . import views

router = SimpleRouter()
router.register("train/chains", views.ChainViewSet, basename="train-chains")
router.register(
    rf"train/chains/(?P<chain_pk>{ID_REGEX})/reflections",
    views.ReflectionViewSet,
    basename="train-chain-reflections",
)
router.register("mutations", views.MutationViewSet, basename="mutations")
# Only detail actions: core's PromptViewSet keeps /prompts/ and /prompts/{id}/.
router.register("prompts", views.PromptTrainingViewSet, basename="prompts")

urlpatterns = router.urls
