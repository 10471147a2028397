"""Ritual tag bundles: CRUD by their owner's user."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from api.permissions import IsOwnerOrReadOnly, ReadOnlyOrAuthenticated
from api.viewsets import ModelViewSet
from mentorship import selectors, services

from ..filters import RitualTagBundleFilter
from ..serializers import (
    RitualTagBundleSerializer,
    RitualTagBundleUpdateSerializer,
)
from .common import AssistantsCountMixin


@extend_schema_view(
    create=extend_schema(
        responses={201: RitualTagBundleSerializer},
        description="Create a bundle as `owner` (yours). 400 `ritual_not_own`, "
        "`unknown_codex_clause`.",
    ),
    update=extend_schema(request=RitualTagBundleUpdateSerializer),
    partial_update=extend_schema(request=RitualTagBundleUpdateSerializer),
)
@extend_schema(tags=["curriculum market"])
class RitualTagBundleViewSet(AssistantsCountMixin, ModelViewSet):
    """Ritual tag bundles: groups of an owner's rituals for discovery and export. Anyone reads;
    the owner's user changes them, and every curriculum containing one is re-exported."""

    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = RitualTagBundleFilter
    search_fields = ["tag_name"]
    ordering_fields = ["id", "created_at", "tag_name", "adopters"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.bundles_all()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return RitualTagBundleUpdateSerializer
        return RitualTagBundleSerializer

    def owner_user_id(self, obj) -> int:
        return obj.owner.owner_id

    def _read(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        bundle = self.get_queryset().get(pk=pk)
        return Response(
            RitualTagBundleSerializer(bundle, context=self.get_serializer_context()).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bundle = services.bundle_create(**serializer.validated_data)
        return self._read(bundle.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        bundle = self.get_object()
        serializer = self.get_serializer(
            bundle, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        services.bundle_update(bundle=bundle, **serializer.validated_data)
        return self._read(bundle.pk)

    def perform_destroy(self, instance):
        services.bundle_delete(bundle=instance)
