from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import AscendingCursorPagination
from api.permissions import ReadOnlyOrAuthenticated
from api.represent import represent, validated_body
from api.schema import error_response
from api.viewsets import GenericViewSet
from core.access import prompts_visible_to
from training import selectors, services
from training.models import SwarmTrainingChain

from .filters import ChainFilter, MutationFilter
from .serializers import (
    ChainSerializer,
    ChainStepResultSerializer,
    ChainStepSerializer,
    LineageSerializer,
    MutationRingSerializer,
    PromptMutateSerializer,
    ReflectionSerializer,
)


@extend_schema(tags=["training"])
class ChainViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericViewSet
):
    """Swarm training chains. Reading is public (chains, reflections and their memory snapshots
    are the swarm's shared record); creating needs a seed assistant of yours; stepping needs the
    owner of the assistant whose turn it is, or of the seed assistant."""

    serializer_class = ChainSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    filterset_class = ChainFilter
    search_fields = ["chain_title"]
    ordering_fields = ["id", "created_at", "updated_at", "current_step", "codex_tension"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.chains_all()

    def get_serializer_class(self):
        if self.action == "step":
            return ChainStepSerializer
        return ChainSerializer

    def _read(self, chain_id: int) -> SwarmTrainingChain:
        return self.get_queryset().get(pk=chain_id)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        chain = services.chain_create(
            seed_assistant=data["seed_assistant"],
            chain_title=data["chain_title"],
            involved_assistant_ids=data["participants"],
            max_steps=data.get("max_steps"),
        )
        return Response(
            ChainSerializer(self._read(chain.pk), context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=ChainStepSerializer,
        responses={
            201: ChainStepResultSerializer,
            403: error_response("not_your_turn", "not_licensed"),
            409: error_response("stale_step", "chain_completed"),
        },
    )
    @action(detail=True, methods=["post"])
    def step(self, request, pk=None):
        """Take the next step: a reflection by the assistant whose turn it is, its belief delta
        added to the tracker, codex_tension recomputed, and an optional mutation."""
        body = validated_body(self, ChainStepSerializer, lookup=self.get_object)
        reflection = services.chain_step(chain_id=int(pk), user=request.user, **body)
        # The answer is what the step's transaction wrote: the reflection and the chain it
        # locked and updated. A mutation in it is the stepping user's own (or staff's) prompt,
        # so it is visible to them.
        return Response(
            {
                "reflection": represent(ReflectionSerializer, reflection),
                "chain": represent(ChainSerializer, reflection.chain),
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["training"])
class ReflectionViewSet(mixins.ListModelMixin, GenericViewSet):
    """A chain's reflections in step order (cursor-paginated, ascending)."""

    serializer_class = ReflectionSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    pagination_class = type(
        "StepCursorPagination", (AscendingCursorPagination,), {"ordering": "step"}
    )
    filter_backends: list = []

    def get_queryset(self):
        chain = get_object_or_404(SwarmTrainingChain.objects.only("pk"), pk=self.kwargs["chain_pk"])
        return selectors.reflections_of(chain=chain, user=self.request.user)


@extend_schema(tags=["training"])
class MutationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Mutation rings: which prompt was mutated into which, with the belief delta. Only rings
    whose two prompts are visible to you."""

    serializer_class = MutationRingSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    filterset_class = MutationFilter
    ordering_fields = ["id", "created_at", "belief_delta", "mutation_step"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.mutations_visible_to(self.request.user)


@extend_schema(tags=["prompts"])
class PromptTrainingViewSet(GenericViewSet):
    """Training actions on a prompt: mutate it, read its lineage. Private prompts are 404 to
    all but their author's owner."""

    permission_classes = [ReadOnlyOrAuthenticated]
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return prompts_visible_to(self.request.user).select_related("author")

    def get_serializer_class(self):
        if self.action == "mutate":
            return PromptMutateSerializer
        return LineageSerializer

    @extend_schema(
        request=PromptMutateSerializer,
        responses={
            201: MutationRingSerializer,
            403: error_response("not_your_assistant", "not_licensed"),
        },
    )
    @action(detail=True, methods=["post"])
    def mutate(self, request, pk=None):
        """Mutate the prompt as ``assistant`` (who must be able to read its body): a new prompt
        and the ring linking it to this one, with ``belief_delta``."""
        prompt = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ring = services.prompt_mutate(prompt=prompt, **serializer.validated_data)
        return Response(MutationRingSerializer(ring).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: LineageSerializer})
    @action(detail=True, methods=["get"])
    def lineage(self, request, pk=None):
        """Ancestors to the root through forks and mutations (nearest first), and the direct
        descendants, each with how it was made and its belief delta. Prompts you may not see are
        left out."""
        lineage = selectors.prompt_lineage(prompt=self.get_object(), user=request.user)
        return Response(LineageSerializer(lineage).data)
