"""Curricula on the market: CRUD by their curator's user; buy, clone and barter."""

from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import (
    BUY_409_CODES,
    IDEMPOTENCY_400_CODES,
    IDEMPOTENCY_409_CODES,
    IDEMPOTENCY_KEY_PARAMETER,
    idempotent_action,
)
from api.permissions import IsOwnerOrReadOnly, ReadOnlyOrAuthenticated
from api.schema import error_response
from api.viewsets import AssistantsCountMixin, ModelViewSet, ServiceWriteMixin
from mentorship import selectors, services

from ..filters import PromptCurriculumVaultFilter
from ..serializers import (
    BarterOfferSerializer,
    CurriculumBarterSerializer,
    CurriculumBuySerializer,
    CurriculumCloneSerializer,
    CurriculumPurchaseSerializer,
    PromptCurriculumVaultSerializer,
    PromptCurriculumVaultUpdateSerializer,
)


@extend_schema_view(
    create=extend_schema(
        responses={201: PromptCurriculumVaultSerializer},
        description="List a curriculum as `curator` (yours). 400 `unknown_codex_clause`, "
        "`out_of_range`.",
    ),
    update=extend_schema(request=PromptCurriculumVaultUpdateSerializer),
    partial_update=extend_schema(request=PromptCurriculumVaultUpdateSerializer),
    destroy=extend_schema(responses={204: None, 409: error_response("protected")}),
)
@extend_schema(tags=["curriculum market"])
class PromptCurriculumVaultViewSet(AssistantsCountMixin, ServiceWriteMixin, ModelViewSet):
    """Curricula of ritual bundles with codex alignment. Anyone reads; the curator's user
    changes or deletes them (an adopted curriculum cannot be deleted: set ``is_active`` false)."""

    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = PromptCurriculumVaultFilter
    search_fields = ["curriculum_title"]
    ordering_fields = ["id", "created_at", "token_cost", "adopter_count", "curriculum_title"]
    ordering = ["-id"]
    read_serializer_class = PromptCurriculumVaultSerializer
    service_object_name = "curriculum"

    def get_queryset(self):
        return selectors.curricula_all().annotate(token_cost=F("token_cost_cents"))

    def get_serializer_class(self):
        return {
            "update": PromptCurriculumVaultUpdateSerializer,
            "partial_update": PromptCurriculumVaultUpdateSerializer,
            "buy": CurriculumBuySerializer,
            "clone": CurriculumCloneSerializer,
            "barter": CurriculumBarterSerializer,
        }.get(self.action, PromptCurriculumVaultSerializer)

    def owner_user_id(self, obj) -> int:
        return obj.curator.owner_id

    def create(self, request, *args, **kwargs):
        return self.service_create(services.curriculum_create)

    def update(self, request, *args, **kwargs):
        return self.service_update(services.curriculum_update, partial=kwargs.get("partial", False))

    def perform_destroy(self, instance):
        services.curriculum_delete(curriculum=instance)

    @extend_schema(
        request=CurriculumBuySerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: CurriculumPurchaseSerializer,
            400: error_response("cannot_buy_own", *IDEMPOTENCY_400_CODES),
            403: error_response("not_your_assistant"),
            409: error_response(*BUY_409_CODES, *IDEMPOTENCY_409_CODES),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent_action(scope="market_curriculum_buy")
    def buy(self, request, pk=None):
        """``buyer`` (yours) buys the curriculum: a curriculum_purchase ledger entry to the
        curator, an adoption and licences to the curator's step prompts. Send an
        ``Idempotency-Key`` to retry safely: a replay answers the first response, charging
        nothing. Pin ``expected_price`` to pay only what you saw (409 ``price_changed``). The
        answer states the price charged and the balance left, as the transaction made them."""
        curriculum = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        buyer = serializer.validated_data["buyer"]
        sale = services.curriculum_buy(curriculum=curriculum, **serializer.validated_data)
        data = {
            "curriculum": curriculum.pk,
            "buyer": buyer.pk,
            "amount": sale.price_cents,
            "price": sale.price_cents,
            "buyer_balance": sale.buyer_balance_cents,
            "ledger_entry": sale.entry.pk if sale.entry else None,
        }
        return Response(CurriculumPurchaseSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CurriculumCloneSerializer,
        responses={
            201: PromptCurriculumVaultSerializer,
            400: error_response("cannot_clone_own"),
            403: error_response("not_your_assistant", "not_adopted"),
            409: error_response("listing_inactive"),
        },
    )
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        """Copy the curriculum for ``assistant`` (yours), who curates the copy. Free active
        curricula, or ones the assistant adopted; a first clone counts as an adoption."""
        curriculum = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = services.curriculum_clone(curriculum=curriculum, **serializer.validated_data)
        return self.service_read(copy.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=CurriculumBarterSerializer,
        responses={
            201: BarterOfferSerializer,
            400: error_response("not_your_curriculum", "cannot_barter_own", "does_not_exist"),
            403: error_response("not_your_assistant"),
            409: error_response("listing_inactive"),
        },
    )
    @action(detail=True, methods=["post"])
    def barter(self, request, pk=None):
        """``offerer`` (yours) offers ``offered_curriculum`` (which it curates) in exchange for
        this one: a pending offer to this curriculum's curator."""
        curriculum = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.barter_offer_create(
            target_curriculum=curriculum, **serializer.validated_data
        )
        return Response(BarterOfferSerializer(offer).data, status=status.HTTP_201_CREATED)
