from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.economy.views.common import path_id
from api.pagination import CursorPagination
from api.schema import error_response
from api.viewsets import GenericViewSet
from core import webhooks
from core.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

from .serializers import WebhookCreatedSerializer, WebhookDeliverySerializer, WebhookSerializer

BAD_URL = error_response(
    "webhook_url_insecure",
    "webhook_url_unresolvable",
    "webhook_url_forbidden",
    "unknown_event_type",
    description="Bad input.",
)
INACTIVE = error_response("webhook_inactive", description="The endpoint is not active.")
# Only your own endpoints exist for you (404 otherwise): a 403 is a session without its CSRF token.
CSRF = error_response("permission_denied", description="Session auth without its CSRF token.")


def own_endpoints(request):
    """A user's endpoints; anyone else's are, to every path, not there (404)."""
    return WebhookEndpoint.objects.filter(owner=request.user)


@extend_schema_view(
    create=extend_schema(
        request=WebhookSerializer,
        responses={201: WebhookCreatedSerializer, 400: BAD_URL, 403: CSRF},
    ),
    update=extend_schema(responses={200: WebhookSerializer, 400: BAD_URL, 403: CSRF}),
    partial_update=extend_schema(responses={200: WebhookSerializer, 400: BAD_URL, 403: CSRF}),
    destroy=extend_schema(responses={204: None, 403: CSRF}),
)
@extend_schema(tags=["webhooks"])
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    """``/webhooks/``: your webhook endpoints (SPEC 8). Each delivery is signed per the Standard
    Webhooks specification with the endpoint's secret, shown once at creation or rotation."""

    serializer_class = WebhookSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    ordering = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return own_endpoints(self.request).order_by("id")

    def perform_create(self, serializer):
        serializer.instance = webhooks.webhook_create(
            owner=self.request.user, **serializer.validated_data
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(
            WebhookCreatedSerializer(serializer.instance).data, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer):
        serializer.instance = webhooks.webhook_update(
            endpoint=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        webhooks.webhook_delete(endpoint=instance)

    @extend_schema(request=None, responses={200: WebhookCreatedSerializer, 403: CSRF})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret, shown only in this answer. The old one keeps signing beside it (two
        `v1,` signatures) until `previous_secret_expires_at`."""
        endpoint = webhooks.webhook_secret_rotate(endpoint=self.get_object())
        return Response(WebhookCreatedSerializer(endpoint).data)

    @extend_schema(
        request=None, responses={201: WebhookDeliverySerializer, 403: CSRF, 409: INACTIVE}
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a `webhook.test` event to this endpoint (whatever its `types`), on the worker."""
        delivery = webhooks.webhook_test(endpoint=self.get_object())
        return Response(
            WebhookDeliverySerializer(delivery, context={"now": timezone.now()}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(list=extend_schema(responses={200: WebhookDeliverySerializer(many=True)}))
@extend_schema(tags=["webhooks"], parameters=[path_id("endpoint_pk", "The webhook endpoint's id.")])
class WebhookDeliveryViewSet(mixins.ListModelMixin, GenericViewSet):
    """``/webhooks/{id}/deliveries/``: what was sent to the endpoint, newest first (cursor
    pages), each with its attempts (time, status code, duration, error)."""

    serializer_class = WebhookDeliverySerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    filter_backends: list = []

    def _endpoint(self) -> WebhookEndpoint:
        if not hasattr(self, "_endpoint_cache"):
            self._endpoint_cache = get_object_or_404(
                own_endpoints(self.request), pk=self.kwargs["endpoint_pk"]
            )
        return self._endpoint_cache

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return (
            WebhookDelivery.objects.filter(endpoint=self._endpoint())
            .select_related("event", "endpoint")
            .prefetch_related(
                Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("id"))
            )
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        request=None,
        responses={
            200: WebhookDeliverySerializer,
            403: CSRF,
            409: error_response("delivery_succeeded", "delivery_in_flight", "webhook_inactive"),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, endpoint_pk=None, pk=None):
        """Send the delivery again now, on the worker (pending or failed ones)."""
        delivery = get_object_or_404(self.get_queryset(), pk=pk)
        delivery = webhooks.webhook_delivery_retry(delivery=delivery)
        return Response(self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data)
