"""Licences an assistant holds."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import PromptLicence
from economy.money import format_cents


class LicenceSerializer(serializers.ModelSerializer):
    """A licence: the version it was granted at (its holder reads that one and every later one
    while ``state`` is ``active``). ``price``: what its purchase charged ("0.00" for a free
    listing); null for licences from mentorship or curricula."""

    version = serializers.IntegerField(source="version.number", read_only=True)
    price = serializers.SerializerMethodField()

    class Meta:
        model = PromptLicence
        fields = ["id", "prompt", "version", "source", "state", "price", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_price(self, licence: PromptLicence) -> str | None:
        if licence.source != PromptLicence.Source.PURCHASE:
            return None
        return format_cents(getattr(licence, "paid_cents", None) or 0)
