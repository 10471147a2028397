"""The curriculum market: ritual bundles, curricula (buy, clone, barter) and barter offers."""

from collections.abc import Callable
from functools import cached_property

from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.idempotency import (
    IDEMPOTENCY_400_CODES,
    IDEMPOTENCY_409_CODES,
    IDEMPOTENCY_KEY_PARAMETER,
    idempotent_action,
)
from api.permissions import IsOwnerOrReadOnly, ReadOnlyOrAuthenticated, check_owner
from api.schema import error_response
from api.viewsets import GenericViewSet, ModelViewSet
from core.selectors import assistants_count
from mentorship import selectors, services
from mentorship.models import BarterOffer

from .filters import BarterOfferFilter, PromptCurriculumVaultFilter, RitualTagBundleFilter
from .serializers import (
    BarterOfferSerializer,
    CurriculumBarterSerializer,
    CurriculumBuySerializer,
    CurriculumCloneSerializer,
    CurriculumPurchaseSerializer,
    PromptCurriculumVaultSerializer,
    PromptCurriculumVaultUpdateSerializer,
    RitualTagBundleSerializer,
    RitualTagBundleUpdateSerializer,
)


class AssistantsCountMixin:
    """The denominator of the adoption formulas, counted once per request."""

    @cached_property
    def assistants_count(self) -> int:
        return assistants_count()

    def get_serializer_context(self):
        context = super().get_serializer_context()  # type: ignore[misc]
        context["assistants_count"] = self.assistants_count
        return context


@extend_schema_view(
    create=extend_schema(
        responses={201: RitualTagBundleSerializer},
        description="Create a bundle as `owner` (yours). 400 `ritual_not_own`, "
        "`unknown_codex_clause`.",
    ),
    update=extend_schema(request=RitualTagBundleUpdateSerializer),
    partial_update=extend_schema(request=RitualTagBundleUpdateSerializer),
)
@extend_schema(tags=["curriculum market"])
class RitualTagBundleViewSet(AssistantsCountMixin, ModelViewSet):
    """Ritual tag bundles: groups of an owner's rituals for discovery and export. Anyone reads;
    the owner's user changes them, and every curriculum containing one is re-exported."""

    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = RitualTagBundleFilter
    search_fields = ["tag_name"]
    ordering_fields = ["id", "created_at", "tag_name", "adopters"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.bundles_all()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return RitualTagBundleUpdateSerializer
        return RitualTagBundleSerializer

    def owner_user_id(self, obj) -> int:
        return obj.owner.owner_id

    def _read(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        bundle = self.get_queryset().get(pk=pk)
        return Response(
            RitualTagBundleSerializer(bundle, context=self.get_serializer_context()).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bundle = services.bundle_create(**serializer.validated_data)
        return self._read(bundle.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        bundle = self.get_object()
        serializer = self.get_serializer(
            bundle, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        services.bundle_update(bundle=bundle, **serializer.validated_data)
        return self._read(bundle.pk)

    def perform_destroy(self, instance):
        services.bundle_delete(bundle=instance)


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
class PromptCurriculumVaultViewSet(AssistantsCountMixin, ModelViewSet):
    """Curricula of ritual bundles with codex alignment. Anyone reads; the curator's user
    changes or deletes them (an adopted curriculum cannot be deleted: set ``is_active`` false)."""

    permission_classes = [ReadOnlyOrAuthenticated, IsOwnerOrReadOnly]
    filterset_class = PromptCurriculumVaultFilter
    search_fields = ["curriculum_title"]
    ordering_fields = ["id", "created_at", "token_cost", "adopter_count", "curriculum_title"]
    ordering = ["-id"]

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

    def _read(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        curriculum = self.get_queryset().get(pk=pk)
        return Response(
            PromptCurriculumVaultSerializer(curriculum, context=self.get_serializer_context()).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        curriculum = services.curriculum_create(**serializer.validated_data)
        return self._read(curriculum.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        curriculum = self.get_object()
        serializer = self.get_serializer(
            curriculum, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        services.curriculum_update(curriculum=curriculum, **serializer.validated_data)
        return self._read(curriculum.pk)

    def perform_destroy(self, instance):
        services.curriculum_delete(curriculum=instance)

    @extend_schema(
        request=CurriculumBuySerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: CurriculumPurchaseSerializer,
            400: error_response("cannot_buy_own", *IDEMPOTENCY_400_CODES),
            403: error_response("not_your_assistant"),
            409: error_response(
                "insufficient_funds",
                "already_owned",
                "listing_inactive",
                "price_changed",
                *IDEMPOTENCY_409_CODES,
            ),
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
        return self._read(copy.pk, status.HTTP_201_CREATED)

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


CLOSED = error_response("offer_closed", description="The offer is not pending.")


@extend_schema(tags=["curriculum market"])
class BarterOfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Barter offers, private to their parties: the offerer's user and the target curator's
    user (404 for anyone else). Only a pending offer can be accepted, declined or cancelled."""

    serializer_class = BarterOfferSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = BarterOfferFilter
    ordering_fields = ["id", "created_at", "status"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.barters_visible_to(self.request.user)

    def _decide(self, request, service, owner_user_id: Callable[[BarterOffer], int]) -> Response:
        offer = self.get_object()
        check_owner(request, owner_user_id(offer))
        service(offer=offer)
        return Response(BarterOfferSerializer(offer).data)

    @extend_schema(
        request=None,
        responses={
            200: BarterOfferSerializer,
            403: error_response("not_owner"),
            409: error_response(
                "offer_closed",
                "offer_stale",
                description="Not pending, or a curriculum changed or left the market.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The target curator's user accepts: both sides adopt each other's curriculum. Both
        curricula must be active and as they were when the offer was made (409 ``offer_stale``
        otherwise; the offer stays pending, to decline or cancel)."""
        return self._decide(
            request, services.barter_offer_accept, lambda o: o.target_curriculum.curator.owner_id
        )

    @extend_schema(
        request=None,
        responses={200: BarterOfferSerializer, 403: error_response("not_owner"), 409: CLOSED},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The target curator's user turns the offer down."""
        return self._decide(
            request, services.barter_offer_decline, lambda o: o.target_curriculum.curator.owner_id
        )

    @extend_schema(
        request=None,
        responses={200: BarterOfferSerializer, 403: error_response("not_owner"), 409: CLOSED},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The offerer's user withdraws the offer."""
        return self._decide(request, services.barter_offer_cancel, lambda o: o.offerer.owner_id)
