from rest_framework.routers import SimpleRouter

from api.viewsets import ID_REGEX

from .views import WebhookDeliveryViewSet, WebhookViewSet

router = SimpleRouter()
router.register("webhooks", WebhookViewSet, basename="webhooks")
router.register(
    rf"webhooks/(?P<endpoint_pk>{ID_REGEX})/deliveries",
    WebhookDeliveryViewSet,
    basename="webhooks-deliveries",
)

urlpatterns = router.urls
