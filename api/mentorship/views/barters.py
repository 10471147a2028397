"""Barter offers: list, retrieve; accept or decline (the target's curator), cancel (the offerer)."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.permissions import check_owner
from api.schema import error_response
from api.viewsets import GenericViewSet
from mentorship import selectors, services
from mentorship.models import BarterOffer

from ..filters import BarterOfferFilter
from ..serializers import (
    BarterOfferSerializer,
)

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
