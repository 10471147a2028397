from typing import cast

from django.contrib.auth.models import User
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import CursorPagination
from api.permissions import ReadOnlyOrAuthenticated
from api.represent import represent, validated_body
from api.schema import error_response
from api.viewsets import GenericViewSet
from core.access import prompts_visible_to
from core.compiled import compiled_rows, viewer_from, viewer_shape
from core.models import Prompt
from economy import selectors, services
from economy.models import PromptReputationScore

from ..serializers import (
    RATING_ROW_VALUES,
    RatingCreateSerializer,
    RatingSerializer,
    ReputationSerializer,
    reputation_representation,
)
from .common import PROMPT_PK

REPUTATION_ENTRIES_INLINE = 50


def rating_create(view, request, prompt: Prompt | int, *, require_licence: bool) -> Response:
    """Shared by ``/prompts/{id}/rate/`` and ``/market/prompts/{id}/rate/``: 201 for a first
    rating, 200 when it replaced the rater's previous one. A prompt given by id is checked for
    visibility by the service's locked read; a bad body to one the caller may not see is still
    404 (the view's ``get_object``)."""
    body = validated_body(
        view,
        RatingCreateSerializer,
        lookup=view.get_object if isinstance(prompt, int) else lambda: None,
    )
    entry, created = services.prompt_rate(
        prompt=prompt,
        require_licence=require_licence,
        visible_to=request.user if isinstance(prompt, int) else None,
        **body,
    )
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return Response(represent(RatingSerializer, entry), status=code)


@extend_schema(tags=["reputation"])
class PromptReputationViewSet(GenericViewSet):
    """Reputation of a prompt: rate it, read the aggregate. Private prompts are 404."""

    permission_classes = [ReadOnlyOrAuthenticated]
    serializer_class = RatingCreateSerializer
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return prompts_visible_to(self.request.user).select_related("author")

    @extend_schema(
        request=RatingCreateSerializer,
        responses={
            200: RatingSerializer,
            201: RatingSerializer,
            400: error_response("cannot_rate_own", description="Bad input."),
            403: error_response("not_your_assistant"),
        },
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """Rate the prompt as ``rater``. One entry per rater: rating again replaces it (200).
        The entry's ``trust_score`` = w_e·ritual_effectiveness + w_a·assistant_approval with the
        configured weights; the prompt's ``trust_score`` is the Bayesian average
        (C·m + Σ)/(C + n) with the configured prior weight C and prior mean m.
        Assistants of the author's user cannot rate it (400 ``cannot_rate_own``)."""
        return rating_create(self, request, int(pk), require_licence=False)

    @extend_schema(responses={200: ReputationSerializer})
    @action(detail=True, methods=["get"])
    def reputation(self, request, pk=None):
        """The aggregate ``trust_score``, ``rating_count``, the mean of each input, tag
        histograms and the newest 50 entries; page through all of them at
        ``/prompts/{id}/ratings/``."""
        # Two statements, each compiled once (``core.compiled``) and run with this prompt's
        # and caller's ids: the visible prompt with its means and histograms, then the entries;
        # written as ReputationSerializer writes them, without a serializer per entry.
        shape, viewer_ids = viewer_shape(request.user)

        def visible_prompt(prompt, viewer=None):
            visible = prompts_visible_to(cast(User, viewer_from(request.user, viewer)))
            return selectors.prompts_with_reputation(visible.filter(pk=prompt)).values(
                *selectors.REPUTATION_VALUES
            )

        found = compiled_rows(
            shape=("reputation-prompt", shape),
            build=visible_prompt,
            ids={"prompt": int(pk), **viewer_ids},
        )
        if not found:
            raise Http404
        prompt = found[0]
        self.check_object_permissions(request, prompt)
        entries = compiled_rows(
            shape="reputation-entries",
            build=lambda prompt: selectors.prompt_ratings(prompt=Prompt(pk=prompt)).values(
                *RATING_ROW_VALUES
            ),
            ids={"prompt": prompt["id"]},
            limit=REPUTATION_ENTRIES_INLINE,
        )
        data = reputation_representation(
            prompt=prompt,
            means={name: prompt[f"mean_{name}"] for name in selectors.RATING_MEANS},
            user_rating_tags=selectors.tag_histogram(prompt["user_rating_tags_histogram"]),
            symbolic_tags=selectors.tag_histogram(prompt["symbolic_tags_histogram"]),
            entries=entries,
            entries_limit=REPUTATION_ENTRIES_INLINE,
            ratings_url=request.build_absolute_uri(
                reverse("prompts-ratings-list", kwargs={"prompt_pk": prompt["id"]})
            ),
        )
        return Response(data)


@extend_schema(tags=["reputation"], parameters=[PROMPT_PK])
class PromptRatingsViewSet(mixins.ListModelMixin, GenericViewSet):
    """``/prompts/{id}/ratings/``: every rating entry of a visible prompt, newest first
    (cursor pages)."""

    permission_classes = [ReadOnlyOrAuthenticated]
    serializer_class = RatingSerializer
    pagination_class = CursorPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PromptReputationScore.objects.none()
        prompt = get_object_or_404(
            prompts_visible_to(self.request.user), pk=self.kwargs["prompt_pk"]
        )
        return selectors.prompt_ratings(prompt=prompt)
