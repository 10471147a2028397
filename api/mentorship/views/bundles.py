"""Ritual tag bundles: CRUD by their owner's user."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from api.permissions import IsOwnerOrReadOnly, ReadOnlyOrAuthenticated
from api.viewsets import AssistantsCountMixin, ModelViewSet, ServiceWriteMixin
from mentorship import selectors, services

from ..filters import RitualTagBundleFilter
from ..serializers import (
    RitualTagBundleSerializer,
    RitualTagBundleUpdateSerializer,
)


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
class RitualTagBundleViewSet(AssistantsCountMixin, ServiceWriteMixin, ModelViewSet):
    """Ritual tag bundles: groups of an owner's rituals for discovery and export. Anyone reads;
    the owner's user changes them, and every curriculum containing one is re-exported."""

    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = RitualTagBundleFilter
    search_fields = ["tag_name"]
    ordering_fields = ["id", "created_at", "tag_name", "adopters"]
    ordering = ["-id"]
    read_serializer_class = RitualTagBundleSerializer
    service_object_name = "bundle"

    def get_queryset(self):
        return selectors.bundles_all()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return RitualTagBundleUpdateSerializer
        return RitualTagBundleSerializer

    def owner_user_id(self, obj) -> int:
        return obj.owner.owner_id

    def create(self, request, *args, **kwargs):
        return self.service_create(services.bundle_create)

    def update(self, request, *args, **kwargs):
        return self.service_update(services.bundle_update, partial=kwargs.get("partial", False))

    def perform_destroy(self, instance):
        services.bundle_delete(bundle=instance)
