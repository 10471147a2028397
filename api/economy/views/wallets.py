from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.pagination import CursorPagination
from api.permissions import own_assistant_or_403
from api.schema import OWNER_ONLY
from api.viewsets import GenericViewSet
from core.models import Assistant
from economy import selectors
from economy.models import LedgerEntry, Wallet

from ..filters import LedgerFilter
from ..serializers import LedgerEntrySerializer, WalletSerializer
from .common import ASSISTANT_PK


@extend_schema(tags=["wallets"])
class AssistantWalletViewSet(GenericViewSet):
    """``/assistants/{id}/wallet/``: the owner's alone (and staff's)."""

    queryset = Assistant.objects.all()
    permission_classes = [IsAuthenticated]
    serializer_class = WalletSerializer
    filter_backends: list = []
    pagination_class = None

    @extend_schema(responses={200: WalletSerializer, 403: OWNER_ONLY})
    @action(detail=True, methods=["get"])
    def wallet(self, request, pk=None):
        """The assistant's balance (tokens as a string with 2 places)."""
        assistant = own_assistant_or_403(request, pk)
        wallet = Wallet.objects.get(assistant=assistant)
        return Response(WalletSerializer(wallet).data)


@extend_schema_view(
    list=extend_schema(responses={200: LedgerEntrySerializer(many=True), 403: OWNER_ONLY})
)
@extend_schema(tags=["wallets"], parameters=[ASSISTANT_PK])
class WalletLedgerViewSet(mixins.ListModelMixin, GenericViewSet):
    """``/assistants/{id}/wallet/ledger/``: the wallet's entries, newest first (cursor pages).

    Entries are immutable; each shows its ``direction`` from this wallet's side."""

    permission_classes = [IsAuthenticated]
    serializer_class = LedgerEntrySerializer
    pagination_class = CursorPagination
    filterset_class = LedgerFilter
    filter_backends = [DjangoFilterBackend]

    def _wallet(self) -> Wallet:
        if not hasattr(self, "_wallet_cache"):
            assistant = own_assistant_or_403(self.request, self.kwargs["assistant_pk"])
            self._wallet_cache = Wallet.objects.get(assistant=assistant)
        return self._wallet_cache

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        return selectors.wallet_ledger(wallet=self._wallet())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["wallet"] = self._wallet()
        return context
