from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.cache import READ_AHEAD_KEYS, prefetched
from api.core.serializers import PromptSerializer
from api.filters import FilterBackend, SearchFilter
from api.idempotency import (
    BUY_409_CODES,
    IDEMPOTENCY_400_CODES,
    IDEMPOTENCY_409_CODES,
    IDEMPOTENCY_KEY_PARAMETER,
    idempotent_action,
)
from api.ordering import StableOrderingFilter
from api.pagination import list_count_key
from api.permissions import ReadOnlyOrAuthenticated, check_owner
from api.renderers import datetime_writer
from api.represent import represent, validated_body
from api.schema import error_response
from api.viewsets import AssistantsCountMixin, GenericViewSet, ServiceWriteMixin
from core import services as core_services
from core.access import prompts_annotate_body_visible, prompts_visible_to
from core.compiled import CompiledRows, viewer_from, viewer_shape
from core.selectors import ASSISTANTS_COUNT_CACHE_KEY
from economy import selectors, services
from economy.models import PromptTokenListing

from ..filters import ListingFilter
from ..serializers import (
    LISTING_ROW_VALUES,
    AssistantActionSerializer,
    BuyResultSerializer,
    BuySerializer,
    ForkSerializer,
    InjectionSerializer,
    ListingCreateSerializer,
    ListingSerializer,
    ListingUpdateSerializer,
    RatingCreateSerializer,
    RatingSerializer,
    listing_row_representation,
)
from .reputation import rating_create

# The query parameters the compiled list serves (``_compiled_list``).
COMPILED_LIST_PARAMS = {"page", "page_size", "ordering"}

NOT_SELLER = error_response("not_owner", description="Only the seller (author's owner) may.")
LISTING_UPDATE_SCHEMA = extend_schema(
    request=ListingUpdateSerializer,
    responses={
        200: ListingSerializer,
        403: NOT_SELLER,
        409: error_response("listing_inactive"),
    },
)


@extend_schema_view(
    create=extend_schema(
        request=ListingCreateSerializer,
        responses={
            201: ListingSerializer,
            400: error_response("prompt_not_public", description="Bad input."),
            403: NOT_SELLER,
            409: error_response("already_listed"),
        },
    ),
    update=LISTING_UPDATE_SCHEMA,
    partial_update=LISTING_UPDATE_SCHEMA,
)
@extend_schema(tags=["market"])
class MarketPromptViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    AssistantsCountMixin,
    ServiceWriteMixin,
    GenericViewSet,
):
    """The prompt market. The list shows active listings unless ``is_active=false`` asks for
    the delisted history; a listing's detail stays readable after delisting.

    ``ordering``: ``cost``, ``trust``, ``adoption``, ``listed_at`` (``-`` for descending).
    A prompt for sale shows ``body: null`` to anyone but its author's owner, licence holders and
    staff."""

    permission_classes = [ReadOnlyOrAuthenticated]
    read_serializer_class = ListingSerializer
    service_object_name = "listing"
    filterset_class = ListingFilter
    filter_backends = [FilterBackend, SearchFilter, StableOrderingFilter]
    search_fields = ["prompt__title"]
    ordering_fields = ["cost", "trust", "adoption", "listed_at", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        return self._queryset_for(self.request.user)

    def _queryset_for(self, user):
        qs = selectors.listings_visible_to(user)
        if self.action == "list":
            qs = selectors.with_visible_body(qs)
            if "is_active" not in self.request.query_params:
                qs = qs.filter(is_active=True)
        return qs.alias(
            cost=F("token_cost_cents"), trust=F("prompt__trust_score"), adoption=F("adopter_count")
        )

    @cached_property
    def _count_keys(self) -> list[str]:
        """The list's two cached counts (the list's, the assistants')."""
        return [list_count_key(self.request), ASSISTANTS_COUNT_CACHE_KEY]

    def check_throttles(self, request):
        # The list's two cached counts are read in the throttle counter's round trip.
        if self.action == "list":
            setattr(request, READ_AHEAD_KEYS, self._count_keys)
        super().check_throttles(request)

    def list(self, request, *args, **kwargs):
        # The hot read: the page's rows as plain values (``values_list``), each written as
        # ListingSerializer writes a listing (listing_row_representation), with no model
        # instance or serializer per row. ListingSerializer stays the schema's and every other
        # action's.
        queryset: Any = self._compiled_list(request) or self.filter_queryset(
            self.get_queryset()
        ).values_list(*LISTING_ROW_VALUES)
        # Both cached counts in one cache round trip: the throttle counter's when it read them
        # (``check_throttles``), else their own.
        with prefetched(cache, self._count_keys, read_by=request):
            page = self.paginate_queryset(queryset)
            assistants = self.assistants_count
        rows = queryset if page is None else page
        write_datetime = datetime_writer()
        data = [listing_row_representation(row, assistants, write_datetime) for row in rows]
        if page is None:
            return Response(data)
        return self.get_paginated_response(data)

    def _compiled_list(self, request) -> CompiledRows | None:
        """The plain list (no filter or search, one known ordering at most): the statement the
        queryset below builds, compiled once per ordering and kind of caller
        (``core.compiled``), each page run with its own LIMIT/OFFSET. None for any other
        query, which builds its queryset as usual."""
        params = request.query_params
        if self.paginator is None or not set(params) <= COMPILED_LIST_PARAMS:
            return None
        if any(len(params.getlist(name)) > 1 for name in params):
            return None
        ordering = params.get("ordering")
        if ordering is not None and ordering.removeprefix("-") not in self.ordering_fields:
            return None
        shape, ids = viewer_shape(request.user)

        def build(**stand_ins):
            viewer = viewer_from(request.user, stand_ins.get("viewer"))
            return self.filter_queryset(self._queryset_for(viewer)).values(*LISTING_ROW_VALUES)

        return CompiledRows(
            shape=("market-list", ordering, shape),
            build=build,
            ids=ids,
            count=lambda: self.filter_queryset(self.get_queryset()).count(),
            flat=True,
        )

    def get_serializer_class(self):
        return {
            "create": ListingCreateSerializer,
            "update": ListingUpdateSerializer,
            "partial_update": ListingUpdateSerializer,
            "buy": BuySerializer,
            "inject": AssistantActionSerializer,
            "fork": ForkSerializer,
            "rate": RatingCreateSerializer,
        }.get(self.action or "", ListingSerializer)

    def _check_seller(self, listing: PromptTokenListing) -> None:
        check_owner(self.request, listing.prompt.author.owner_id)

    def create(self, request, *args, **kwargs):
        """List one of your public prompts (the seller is its author). One active listing per
        prompt: 409 ``already_listed``."""
        data = self.service_input()
        check_owner(request, data["prompt"].author.owner_id)
        listing = services.listing_create(**data)
        return self.service_read(listing.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        """Change price or scores (seller only; active listings only)."""
        listing = self.get_object()
        self._check_seller(listing)
        return self.service_update(
            services.listing_update, partial=kwargs.get("partial", False), instance=listing
        )

    @extend_schema(
        request=None,
        responses={
            200: ListingSerializer,
            403: NOT_SELLER,
            409: error_response("listing_inactive"),
        },
    )
    @action(detail=True, methods=["post"])
    def delist(self, request, pk=None):
        """Take the listing off the market (seller only). The row stays, inactive, as history;
        licences already sold stay valid."""
        listing = self.get_object()
        self._check_seller(listing)
        services.listing_delist(listing=listing)
        return self.service_read(listing.pk)

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: BuyResultSerializer,
            400: error_response("cannot_buy_own", *IDEMPOTENCY_400_CODES, description="Bad input."),
            403: error_response("not_your_assistant"),
            409: error_response(*BUY_409_CODES, "version_changed", *IDEMPOTENCY_409_CODES),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent_action(scope="market_prompts_buy")
    def buy(self, request, pk=None):
        """Buy a licence as ``buyer`` at the prompt's newest version: a ledger entry buyer →
        seller for ``token_cost`` (none when free), the licence and the purchase record, in one
        transaction. Pin ``expected_price`` / ``expected_version`` to be charged only for what you
        saw (409 ``price_changed`` / ``version_changed``, nothing charged). The answer is what the
        transaction did: price, version and content_hash sold, the buyer's balance left. Send an
        ``Idempotency-Key`` to retry safely."""
        # The body needs the request only, not the listings' ``assistants_count`` (a cache read).
        body = validated_body(self, BuySerializer, lookup=self.get_object)
        # The service's locked read applies the visibility rule: no separate get_object.
        sale = services.listing_buy(listing=int(pk), visible_to=request.user, **body)
        setattr(sale.purchase, "buyer_balance", sale.buyer_balance_cents)  # noqa: B010
        data = represent(BuyResultSerializer, sale.purchase)
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            200: InjectionSerializer,
            201: InjectionSerializer,
            403: error_response("not_your_assistant", "not_licensed"),
        },
    )
    @action(detail=True, methods=["post"])
    def inject(self, request, pk=None):
        """Install the prompt in ``assistant``'s working set and open its trust-map row (scores
        0.5). Needs a licence or authorship (403 ``not_licensed``). 201 the first time, 200 after
        (nothing changes)."""
        listing = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.listing_inject(listing=listing, **serializer.validated_data)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(InjectionSerializer(result).data, status=code)

    @extend_schema(
        responses={201: PromptSerializer, 403: error_response("not_your_assistant", "not_licensed")}
    )
    @action(detail=True, methods=["post"])
    def fork(self, request, pk=None):
        """Fork the listed prompt as ``assistant`` (like ``/prompts/{id}/fork/``): needs a licence
        unless the listing is free (403 ``not_licensed``)."""
        listing = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fork = core_services.prompt_fork(prompt=listing.prompt, **serializer.validated_data)
        fork = prompts_annotate_body_visible(
            prompts_visible_to(request.user).select_related("author"), request.user
        ).get(pk=fork.pk)
        return Response(PromptSerializer(fork).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            200: RatingSerializer,
            201: RatingSerializer,
            400: error_response("cannot_rate_own", description="Bad input."),
            403: error_response("not_your_assistant", "not_licensed"),
        },
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """Rate the listed prompt as ``rater`` (as ``/prompts/{id}/rate/``), licence holders
        only (403 ``not_licensed``)."""
        listing = self.get_object()
        return rating_create(self, request, listing.prompt, require_licence=True)
