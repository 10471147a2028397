"""The event catalogue (core.events.CATALOGUE) as serializers, so the OpenAPI document types
every event: one ``<Type>Event`` component per type, its ``data`` a ``<Type>EventData``, and
``Event`` a oneOf of them with ``type`` as the discriminator."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from core.events import CATALOGUE, EventType, Field
from core.models import Event


def _component_name(type_name: str) -> str:
    return "".join(part.capitalize() for part in type_name.replace("_", ".").split("."))


def _field(spec: Field) -> serializers.Field:
    common: dict[str, Any] = {"help_text": spec.description, "allow_null": spec.nullable}
    builders: dict[str, Callable[[], serializers.Field]] = {
        "id": lambda: serializers.IntegerField(min_value=1, **common),
        "ids": lambda: serializers.ListField(child=serializers.IntegerField(min_value=1), **common),
        "int": lambda: serializers.IntegerField(**common),
        "float": lambda: serializers.FloatField(**common),
        "bool": lambda: serializers.BooleanField(**common),
        "str": lambda: serializers.CharField(**common),
        "money": lambda: serializers.RegexField(r"^\d+\.\d{2}$", **common),
    }
    return builders[spec.kind]()


def _event_serializer(spec: EventType) -> type[serializers.Serializer]:
    name = _component_name(spec.name)
    data_cls = type(
        f"{name}EventDataSerializer",
        (serializers.Serializer,),
        {
            **{key: _field(f) for key, f in spec.fields.items()},
            "__doc__": f"`data` of `{spec.name}`.",
        },
    )
    return type(
        f"{name}EventSerializer",
        (serializers.Serializer,),
        {
            "id": serializers.IntegerField(help_text="Position in the stream: resume after it."),
            "type": serializers.ChoiceField(choices=[spec.name]),
            "created_at": serializers.DateTimeField(),
            "data": data_cls(),
            "__doc__": f"{spec.description} Sent to {spec.recipients}.",
        },
    )


EVENT_SERIALIZERS: dict[str, serializers.Serializer | type[serializers.Serializer]] = {
    name: _event_serializer(spec) for name, spec in CATALOGUE.items()
}

EVENT_LIST_SCHEMA = PolymorphicProxySerializer(
    component_name="Event",
    serializers=EVENT_SERIALIZERS,
    resource_type_field_name="type",
    many=True,
)


class EventSerializer(serializers.ModelSerializer):
    """What the feed and the stream send: the event and its catalogue-shaped ``data``."""

    class Meta:
        model = Event
        fields = ["id", "type", "created_at", "data"]
        read_only_fields = fields
