"""Base classes every domain ViewSet uses."""

from collections.abc import Callable
from functools import cached_property
from typing import Any

from rest_framework import generics, serializers, status, viewsets
from rest_framework.response import Response

from core.selectors import assistants_count

# Ids longer than 18 digits cannot exist (BIGINT) and would overflow SQLite: they never match.
ID_REGEX = r"[0-9]{1,18}"


class IdLookupMixin:
    lookup_value_regex = ID_REGEX


class GenericViewSet(IdLookupMixin, viewsets.GenericViewSet):
    pass


class ModelViewSet(IdLookupMixin, viewsets.ModelViewSet):
    pass


class AssistantsCountMixin:
    """The denominator of the adoption formulas, counted once per request and handed to the
    serializers as ``context["assistants_count"]``."""

    @cached_property
    def assistants_count(self) -> int:
        return assistants_count()

    def get_serializer_context(self):
        context = super().get_serializer_context()  # type: ignore[misc]
        context["assistants_count"] = self.assistants_count
        return context


class ServiceWriteMixin(generics.GenericAPIView):
    """The body every write shares: get the object, validate the input, call ONE service,
    re-read the row through ``get_queryset`` (so the answer carries the list's annotations)
    and respond with ``read_serializer_class``. The viewset names the service per action;
    its keyword for the object being changed is ``service_object_name``."""

    read_serializer_class: type[serializers.BaseSerializer]
    service_object_name: str

    def service_read(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        instance = self.get_queryset().get(pk=pk)
        context = self.get_serializer_context()
        return Response(self.read_serializer_class(instance, context=context).data, status=code)

    def service_input(self, instance: Any = None, *, partial: bool = False) -> dict[str, Any]:
        serializer = self.get_serializer(
            instance,
            data=self.request.data,
            partial=partial,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def service_create(self, service: Callable[..., Any]) -> Response:
        created = service(**self.service_input())
        return self.service_read(created.pk, status.HTTP_201_CREATED)

    def service_update(
        self, service: Callable[..., Any], *, partial: bool, instance: Any = None
    ) -> Response:
        """``instance``: the object when the caller already fetched it (to check it first)."""
        if instance is None:
            instance = self.get_object()
        fields = self.service_input(instance, partial=partial)
        service(**{self.service_object_name: instance}, **fields)
        return self.service_read(instance.pk)
