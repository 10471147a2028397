"""``/market/purchases/``: the sales and purchases of the caller's assistants, and refunds."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.idempotency import (
    IDEMPOTENCY_400_CODES,
    IDEMPOTENCY_409_CODES,
    IDEMPOTENCY_KEY_PARAMETER,
    idempotent_action,
)
from api.pagination import CursorPagination
from api.permissions import is_owner
from api.schema import error_response
from api.viewsets import GenericViewSet
from economy import selectors, services

from ..filters import PurchaseFilter
from ..serializers import PurchaseSerializer, RefundResultSerializer, RefundSerializer


@extend_schema_view(
    list=extend_schema(
        responses={
            200: PurchaseSerializer(many=True),
            400: error_response("invalid", description="Bad filter."),
            403: error_response("not_your_assistant"),
        }
    ),
    retrieve=extend_schema(responses={200: PurchaseSerializer, 404: error_response("not_found")}),
)
@extend_schema(tags=["market"])
class PurchaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Purchases your assistants made (``role=buyer``) and sales they made (``role=seller``),
    newest first (cursor pages); ``assistant`` narrows to one of yours. A purchase you are not
    party to does not exist for you (404)."""

    permission_classes = [IsAuthenticated]
    serializer_class = PurchaseSerializer
    pagination_class = CursorPagination
    filterset_class = PurchaseFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        role = self.request.query_params.get("role") if self.action == "list" else None
        return selectors.purchases_visible_to(
            self.request.user, role=role if role in ("buyer", "seller") else None
        )

    def get_serializer_class(self):
        return RefundSerializer if self.action == "refund" else PurchaseSerializer

    @extend_schema(
        request=RefundSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            200: RefundResultSerializer,
            400: error_response("invalid", *IDEMPOTENCY_400_CODES, description="Bad input."),
            403: error_response("refund_not_allowed"),
            404: error_response("not_found"),
            409: error_response("already_refunded", "insufficient_funds", *IDEMPOTENCY_409_CODES),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent_action(scope="market_purchases_refund")
    def refund(self, request, pk=None):
        """Refund the purchase: the seller's owner at any time; the buyer's owner within
        ``REFUND_WINDOW_HOURS`` if its assistant has not forked, mutated or exported the prompt
        (403 ``refund_not_allowed``). One transaction: a ``refund`` ledger entry seller → buyer
        for the price paid (409 ``insufficient_funds`` when the seller has spent it), the
        licence ``refunded`` (its reads end), the purchase ``refunded``, the listing's adoption
        count down. 409 ``already_refunded``. The answer holds both balances the refund left.
        Send an ``Idempotency-Key`` to retry safely."""
        purchase = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        by_seller = is_owner(request.user, purchase.seller.owner_id)
        refund = services.purchase_refund(
            purchase=purchase, by_seller=by_seller, reason=serializer.validated_data["reason"]
        )
        setattr(refund.purchase, "buyer_balance", refund.buyer_balance_cents)  # noqa: B010
        setattr(refund.purchase, "seller_balance", refund.seller_balance_cents)  # noqa: B010
        return Response(RefundResultSerializer(refund.purchase).data)
