"""Marketplace vaults: create, export, import."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.core.serializers import PromptSerializer
from api.fields import (
    ActingAssistantField,
    BoundedJSONObjectField,
    VisiblePromptListField,
)
from economy import services
from economy.models import (
    PromptMarketplaceVault,
)


class VaultSerializer(serializers.ModelSerializer):
    prompts = serializers.SerializerMethodField()
    exported_json = serializers.JSONField(read_only=True)

    class Meta:
        model = PromptMarketplaceVault
        fields = [
            "id",
            "owner_assistant",
            "name",
            "prompts",
            "symbolic_signature",
            "exported_json",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_prompts(self, vault: PromptMarketplaceVault) -> list[int]:
        return [p.pk for p in vault.prompt_set.all()]


class VaultCreateSerializer(serializers.Serializer):
    owner_assistant = ActingAssistantField()
    name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    prompts = VisiblePromptListField(
        distinct=True,
        min_length=1,
        max_length=services.VAULT_MAX_PROMPTS,
        help_text="Ids of prompts whose bodies the owner may read.",
    )


class VaultExportSerializer(serializers.Serializer):
    exported_json = serializers.JSONField()
    symbolic_signature = serializers.CharField()


@extend_schema_field(OpenApiTypes.OBJECT)
class ExportedJSONField(BoundedJSONObjectField):
    pass


class VaultImportSerializer(serializers.Serializer):
    assistant = ActingAssistantField()
    exported_json = ExportedJSONField(max_bytes=1024 * 1024)
    symbolic_signature = serializers.CharField(max_length=128, trim_whitespace=False)


class VaultImportResultSerializer(serializers.Serializer):
    prompts = PromptSerializer(many=True, help_text="The prompts created for the assistant.")
