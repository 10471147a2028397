"""``/prompts/{id}/versions/`` and ``/labels/``: a prompt's immutable versions and its
movable labels. The prompt must be visible (404 else);
bodies follow ``core.access`` per version."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.economy.views.common import PROMPT_PK
from api.permissions import ReadOnlyOrAuthenticated, check_owner
from api.schema import error_response
from api.viewsets import GenericViewSet
from core import access, selectors, services
from core.models import Prompt, PromptLabel, PromptVersion

from .serializers import (
    PromptLabelMoveSerializer,
    PromptLabelSerializer,
    PromptVersionSerializer,
)

LABEL = OpenApiParameter(
    "label", OpenApiTypes.STR, description="Read the version this label points at instead."
)
NOT_FOUND = error_response(description="No such prompt (or not visible), version or label.")


class PromptChildViewSet(GenericViewSet):
    """The visible prompt named by ``prompt_pk``, looked up once per request."""

    permission_classes = [ReadOnlyOrAuthenticated]
    filter_backends: list = []

    def prompt(self) -> Prompt:
        if not hasattr(self, "_prompt"):
            self._prompt = get_object_or_404(
                access.prompts_visible_to(self.request.user).select_related("author"),
                pk=self.kwargs["prompt_pk"],
            )
        return self._prompt


@extend_schema(tags=["prompts"], parameters=[PROMPT_PK])
class PromptVersionViewSet(PromptChildViewSet):
    """``/prompts/{id}/versions/``: newest first (pages); ``{number}/`` one version."""

    serializer_class = PromptVersionSerializer
    lookup_field = "number"
    lookup_value_regex = r"[0-9]{1,9}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PromptVersion.objects.none()
        return access.versions_visible_to(self.request.user, prompt=self.prompt()).order_by(
            "-number"
        )

    @extend_schema(
        parameters=[LABEL], responses={200: PromptVersionSerializer(many=True), 404: NOT_FOUND}
    )
    def list(self, request, *args, **kwargs):
        """The prompt's versions, newest first; with ``?label=`` only the labelled one."""
        qs = self.get_queryset()
        if "label" in request.query_params:
            number = selectors.label_number(
                prompt=self.prompt(), name=request.query_params["label"]
            )
            qs = qs.filter(number=number)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: PromptVersionSerializer, 404: NOT_FOUND})
    def retrieve(self, request, *args, **kwargs):
        """One version, its body per the body rules for that version."""
        version = selectors.version_read(
            prompt=self.prompt(), number=int(kwargs["number"]), user=request.user
        )
        return Response(self.get_serializer(version).data)


@extend_schema(tags=["prompts"], parameters=[PROMPT_PK])
class PromptLabelViewSet(PromptChildViewSet):
    """``/prompts/{id}/labels/``: named pointers to versions, moved by the author's owner."""

    serializer_class = PromptLabelSerializer
    lookup_field = "name"
    lookup_value_regex = r"[^/]{1,100}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PromptLabel.objects.none()
        return PromptLabel.objects.filter(prompt=self.prompt()).select_related("version")

    @extend_schema(responses={200: PromptLabelSerializer(many=True), 404: NOT_FOUND})
    def list(self, request, *args, **kwargs):
        """The prompt's labels by name."""
        page = self.paginate_queryset(self.get_queryset().order_by("name"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _owned_prompt(self, name: str) -> tuple[Prompt, str]:
        prompt = self.prompt()
        check_owner(self.request, prompt.author.owner_id)
        field = serializers.SlugField(max_length=50)
        try:
            return prompt, field.run_validation(name)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"name": exc.detail}) from exc

    @extend_schema(
        request=PromptLabelMoveSerializer,
        responses={
            200: PromptLabelSerializer,
            400: error_response("unknown_version", "invalid", description="Bad input."),
            403: error_response("not_owner"),
            404: NOT_FOUND,
        },
    )
    def update(self, request, *args, **kwargs):
        """Point the label at ``version`` (created if absent). The author's owner only."""
        prompt, name = self._owned_prompt(kwargs["name"])
        serializer = PromptLabelMoveSerializer(data={**request.data, "name": name})
        serializer.is_valid(raise_exception=True)
        label = services.label_move(
            prompt=prompt, name=name, number=serializer.validated_data["version"]
        )
        return Response(PromptLabelSerializer(label).data)

    @extend_schema(responses={204: None, 403: error_response("not_owner"), 404: NOT_FOUND})
    def destroy(self, request, *args, **kwargs):
        """Remove the label. The author's owner only."""
        prompt, name = self._owned_prompt(kwargs["name"])
        services.label_remove(prompt=prompt, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)
