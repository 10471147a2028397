from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.ordering import StableOrderingFilter
from api.permissions import own_assistant_or_403
from api.schema import OWNER_ONLY
from api.viewsets import GenericViewSet
from economy import selectors, services
from economy.models import AssistantPromptTrustMap

from ..filters import TrustMapFilter
from ..serializers import TrustMapSerializer, TrustObservationSerializer
from .common import ASSISTANT_PK


@extend_schema_view(
    list=extend_schema(responses={200: TrustMapSerializer(many=True), 403: OWNER_ONLY}),
    create=extend_schema(
        request=TrustObservationSerializer,
        responses={201: TrustMapSerializer, 403: OWNER_ONLY},
    ),
)
@extend_schema(tags=["trust"], parameters=[ASSISTANT_PK])
class AssistantTrustViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, GenericViewSet):
    """``/assistants/{id}/trust/``: the assistant's prompt trust matrix, its owner's alone
    (it reveals which prompts the assistant holds).

    GET lists one row per prompt (filters: ``prompt``, min/max of resonance, compliance,
    volatility; ``ordering`` by any score, ``observation_count``, ``updated_at``).
    POST records an observation ``{prompt, resonance, symbolic_compliance, mutation_bias}``:
    the first sets the scores, later ones move each by an EMA with the configured alpha;
    ``dreamframe_volatility`` is the same EMA of |observed resonance - resonance_score|."""

    permission_classes = [IsAuthenticated]
    serializer_class = TrustMapSerializer
    filterset_class = TrustMapFilter
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = [
        "resonance_score",
        "symbolic_compliance",
        "dreamframe_volatility",
        "mutation_bias",
        "observation_count",
        "updated_at",
        "id",
    ]
    ordering = ["-id"]

    def get_serializer_class(self):
        if self.action == "create":
            return TrustObservationSerializer
        return TrustMapSerializer

    def _assistant(self):
        return own_assistant_or_403(self.request, self.kwargs["assistant_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AssistantPromptTrustMap.objects.none()
        return selectors.trust_maps_of(assistant=self._assistant())

    def create(self, request, *args, **kwargs):
        assistant = self._assistant()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.trust_observe(assistant=assistant, **serializer.validated_data)
        row = selectors.trust_maps_of(assistant=assistant).get(pk=row.pk)
        return Response(TrustMapSerializer(row).data, status=status.HTTP_201_CREATED)
