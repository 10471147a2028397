from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.core.serializers import PromptSerializer
from api.schema import error_response
from api.viewsets import GenericViewSet
from economy import selectors, services

from ..serializers import (
    VaultCreateSerializer,
    VaultExportSerializer,
    VaultImportResultSerializer,
    VaultImportSerializer,
    VaultSerializer,
)


@extend_schema_view(
    create=extend_schema(
        request=VaultCreateSerializer,
        responses={
            201: VaultSerializer,
            400: error_response("prompt_not_readable", "does_not_exist", description="Bad input."),
            403: error_response("not_your_assistant"),
        },
    ),
    destroy=extend_schema(
        responses={
            204: None,
            403: error_response(description="Not allowed; others' vaults answer 404."),
        }
    ),
)
@extend_schema(tags=["vaults"])
class VaultViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    """Prompt vaults: signed bundles of prompts, their owner's alone (404 to anyone else).

    The server writes ``exported_json`` (format version, owner, prompts with title, body, tags,
    content_hash, source_id) and ``symbolic_signature`` = HMAC-SHA256 of its canonical JSON
    (sorted keys, compact separators)."""

    permission_classes = [IsAuthenticated]
    search_fields = ["name"]
    ordering_fields = ["id", "created_at", "name"]
    ordering = ["-id"]
    filterset_fields = ["owner_assistant"]

    def get_queryset(self):
        return selectors.vaults_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return VaultCreateSerializer
        if self.action == "import_vault":
            return VaultImportSerializer
        if self.action == "export":
            return VaultExportSerializer
        return VaultSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vault = services.vault_create(**serializer.validated_data)
        vault = self.get_queryset().get(pk=vault.pk)
        return Response(VaultSerializer(vault).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: VaultExportSerializer})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """``{exported_json, symbolic_signature}``: exactly what ``/vaults/import/`` takes."""
        vault = self.get_object()
        return Response(
            {"exported_json": vault.exported_json, "symbolic_signature": vault.symbolic_signature}
        )

    @extend_schema(
        operation_id="vaults_import",
        request=VaultImportSerializer,
        responses={
            201: VaultImportResultSerializer,
            400: error_response("invalid_signature", description="Bad input or tampered."),
            403: error_response("not_your_assistant"),
        },
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_vault(self, request):
        """Verify an export (signature in constant time, every content hash) and create its
        prompts for ``assistant``, all in one transaction. Anything tampered: 400
        ``invalid_signature``, nothing created."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prompts = services.vault_import(**serializer.validated_data)
        data = {"prompts": PromptSerializer(prompts, many=True).data}
        return Response(data, status=status.HTTP_201_CREATED)
