from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import IsOwnerOrReadOnly, ReadOnlyOrAuthenticated, StaffWriteOrReadOnly
from api.schema import error_response
from api.viewsets import GenericViewSet, ModelViewSet, ServiceWriteMixin
from core import access, selectors, services
from core.models import CodexClause, RitualStep
from economy.services import assistant_open

from .filters import AssistantFilter, PromptFilter, RitualFilter
from .serializers import (
    AssistantSerializer,
    CodexClauseSerializer,
    CodexClauseUpdateSerializer,
    PromptCreateSerializer,
    PromptDiffQuerySerializer,
    PromptDiffSerializer,
    PromptForkSerializer,
    PromptSerializer,
    PromptUpdateSerializer,
    PromptVersionSerializer,
    RitualSerializer,
    RitualUpdateSerializer,
)
from .versions import LABEL

VERSION_FIELDS = ("title", "body", "tags", "codex_clauses", "content_hash")


@extend_schema(tags=["assistants"])
class AssistantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    """Assistants are public to read; you create them for yourself and edit your own.

    They are never deleted through the API: their ledger history must stay whole.
    """

    serializer_class = AssistantSerializer
    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = AssistantFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "created_at"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.assistants_all()

    def owner_user_id(self, obj) -> int:
        return obj.owner_id

    def perform_create(self, serializer):
        serializer.instance = assistant_open(
            owner=self.request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.assistant_update(
            assistant=serializer.instance, **serializer.validated_data
        )


@extend_schema_view(
    create=extend_schema(request=PromptCreateSerializer, responses={201: PromptSerializer}),
    update=extend_schema(
        request=PromptUpdateSerializer,
        responses={200: PromptSerializer, 409: error_response("listed")},
    ),
    partial_update=extend_schema(
        request=PromptUpdateSerializer,
        responses={200: PromptSerializer, 409: error_response("listed")},
    ),
)
@extend_schema(tags=["prompts"])
class PromptViewSet(ServiceWriteMixin, ModelViewSet):
    """Prompts. Private prompts are 404 to everyone but their author's owner (and staff);
    a prompt for sale shows ``body: null`` to anyone without a licence."""

    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = PromptFilter
    search_fields = ["title"]
    ordering_fields = ["id", "created_at", "trust_score", "fork_count", "rating_count"]
    ordering = ["-id"]
    read_serializer_class = PromptSerializer
    service_object_name = "prompt"

    def get_queryset(self):
        qs = access.prompts_visible_to(self.request.user).select_related("author")
        return access.prompts_annotate_body_visible(qs, self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return PromptCreateSerializer
        if self.action in ("update", "partial_update"):
            return PromptUpdateSerializer
        if self.action == "fork":
            return PromptForkSerializer
        return PromptSerializer

    def owner_user_id(self, obj) -> int:
        return obj.author.owner_id

    @extend_schema(parameters=[LABEL], responses={200: PromptSerializer, 404: error_response()})
    def retrieve(self, request, *args, **kwargs):
        """A prompt at its newest version, or with ``?label=`` at the version the label points
        at (title, body, tags, clauses, content_hash and version are that version's)."""
        prompt = self.get_object()
        data = PromptSerializer(prompt, context=self.get_serializer_context()).data
        if "label" in request.query_params:
            number = selectors.label_number(prompt=prompt, name=request.query_params["label"])
            version = selectors.version_read(prompt=prompt, number=number, user=request.user)
            shown = PromptVersionSerializer(version).data
            data.update({k: shown[k] for k in VERSION_FIELDS}, version=version.number)
        return Response(data)

    def create(self, request, *args, **kwargs):
        return self.service_create(services.prompt_create)

    def update(self, request, *args, **kwargs):
        return self.service_update(services.prompt_update, partial=kwargs.get("partial", False))

    @extend_schema(
        request=PromptForkSerializer,
        responses={
            201: PromptSerializer,
            403: error_response("not_your_assistant", "not_licensed"),
        },
    )
    @action(detail=True, methods=["post"])
    def fork(self, request, pk=None):
        """Copy the prompt for ``assistant`` (+1 ``fork_count``). Needs the body: a licence when
        it is for sale."""
        prompt = self.get_object()
        fork = services.prompt_fork(prompt=prompt, **self.service_input())
        return self.service_read(fork.pk, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[PromptDiffQuerySerializer],
        responses={
            200: PromptDiffSerializer,
            400: error_response("unknown_version", "invalid", "required", description="Bad input."),
            404: error_response(),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def diff(self, request, pk=None):
        """``?from=A&to=B``: the unified diff of the two versions' bodies (null unless the caller
        may see both bodies, as a version's body is null) and their changed title, tags and
        clauses."""
        prompt = self.get_object()
        query = PromptDiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        diff = selectors.versions_diff(
            prompt=prompt,
            old=query.validated_data["from"],
            new=query.validated_data["to"],
            user=request.user,
        )
        return Response(PromptDiffSerializer(diff).data)


@extend_schema_view(
    update=extend_schema(request=RitualUpdateSerializer),
    partial_update=extend_schema(request=RitualUpdateSerializer),
)
@extend_schema(tags=["rituals"])
class RitualViewSet(ServiceWriteMixin, ModelViewSet):
    """Rituals: ordered prompt steps owned by an assistant."""

    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = RitualFilter
    search_fields = ["name"]
    ordering_fields = ["id", "created_at", "name"]
    ordering = ["-id"]
    read_serializer_class = RitualSerializer
    service_object_name = "ritual"

    def get_queryset(self):
        return selectors.rituals_all().prefetch_related(
            Prefetch("steps", queryset=RitualStep.objects.order_by("position"))
        )

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return RitualUpdateSerializer
        return RitualSerializer

    def owner_user_id(self, obj) -> int:
        return obj.owner.owner_id

    def create(self, request, *args, **kwargs):
        return self.service_create(services.ritual_create)

    def update(self, request, *args, **kwargs):
        return self.service_update(services.ritual_update, partial=kwargs.get("partial", False))


@extend_schema_view(
    destroy=extend_schema(
        responses={204: None, 409: error_response("clause_in_use")},
        description="Staff only. 409 `clause_in_use` while any prompt, ritual, bundle or "
        "curriculum names the clause.",
    ),
)
@extend_schema(tags=["codex"])
class CodexClauseViewSet(ModelViewSet):
    """The codex: clauses every ``codex_clauses`` list must name. Staff write, all read."""

    queryset = CodexClause.objects.all()
    permission_classes = [StaffWriteOrReadOnly]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    search_fields = ["code", "text"]
    ordering_fields = ["code", "created_at"]
    ordering = ["code"]
    filterset_fields = ["code"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return CodexClauseUpdateSerializer
        return CodexClauseSerializer

    def perform_destroy(self, instance):
        services.codex_clause_delete(clause=instance)
