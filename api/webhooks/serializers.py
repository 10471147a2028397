from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.events import CATALOGUE
from core.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": sorted(CATALOGUE)},
        "description": "Event types to receive; empty: every type.",
    }
)
class EventTypeListField(serializers.ListField):
    """Names checked against the catalogue by the service (``unknown_event_type``)."""

    child = serializers.CharField(max_length=64)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", len(CATALOGUE))
        super().__init__(**kwargs)


class WebhookSerializer(serializers.ModelSerializer):
    """An endpoint as read: never its secret."""

    types = EventTypeListField(required=False)
    url = serializers.URLField(max_length=2000)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "types",
            "is_active",
            "description",
            "failing_since",
            "disabled_at",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "failing_since",
            "disabled_at",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to a creation or a rotation: the only times ``secret`` is shown."""

    secret = serializers.CharField(
        read_only=True,
        help_text="`whsec_` + base64 of 32 random bytes. Shown only now: store it.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSerializer.Meta.read_only_fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "duration_ms", "error"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)
    in_flight = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "type",
            "status",
            "attempts",
            "next_attempt_at",
            "in_flight",
            "attempt_log",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_in_flight(self, obj) -> bool:
        """A worker is sending an attempt right now."""
        now = self.context.get("now")
        return bool(obj.claimed_until and now and obj.claimed_until > now)
