"""Mentorship: an assistant's mentor tag and adoptions (``/assistants/{id}/mentorship/...``)
and the mentorship log feed (``/mentorships/``)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import CursorPagination
from api.permissions import ReadOnlyOrAuthenticated, check_owner
from api.schema import error_response
from api.viewsets import GenericViewSet
from core.models import Assistant
from mentorship import selectors, services

from ..filters import MentorshipFilter
from ..serializers import (
    MentorshipAdoptSerializer,
    MentorshipFeedbackSerializer,
    MentorshipLogSerializer,
    MentorshipOverviewSerializer,
    MentorTagSerializer,
    MentorTagWriteSerializer,
)


def _log_read(log_id: int) -> dict:
    return MentorshipLogSerializer(selectors.mentorships_all().get(pk=log_id)).data


@extend_schema(tags=["mentorship"])
class AssistantMentorshipViewSet(GenericViewSet):
    """Detail actions under ``/assistants/{id}/``: the mentorship page, opting in and out as a
    mentor, and adopting a mentor's prompts. Registered without list/retrieve so that core's
    assistant routes stay in charge of ``/assistants/``."""

    queryset = Assistant.objects.all()
    permission_classes = [ReadOnlyOrAuthenticated]
    filter_backends: list = []
    pagination_class = None

    def get_serializer_class(self):
        return {
            "mentorship_adopt": MentorshipAdoptSerializer,
            "mentorship_tag": MentorTagWriteSerializer,
        }.get(self.action, MentorshipOverviewSerializer)

    @extend_schema(responses={200: MentorshipOverviewSerializer})
    @action(detail=True, methods=["get"], url_path="mentorship")
    def mentorship(self, request, pk=None):
        """The assistant's mentor tag (if any): notes, score, offered prompts; and its latest
        mentorships given and received (10 each, newest first)."""
        assistant = self.get_object()
        tag = selectors.mentor_tag_for(assistant)
        data = {
            "assistant": assistant.pk,
            "is_mentor": tag is not None,
            "mentorship_notes": tag.mentorship_notes if tag else None,
            "mentor_score": tag.mentor_score if tag else None,
            "feedback_count": tag.feedback_count if tag else 0,
            "offered_prompts": list(tag.offered_prompts.all()) if tag else [],
            "mentorships_given": selectors.mentorships_given_recent(assistant),
            "mentorships_received": selectors.mentorships_received_recent(assistant),
        }
        return Response(MentorshipOverviewSerializer(data).data)

    @extend_schema(
        request=MentorshipAdoptSerializer,
        responses={
            201: MentorshipLogSerializer,
            400: error_response("prompt_not_offered", "cannot_mentor_self", "does_not_exist"),
            403: error_response("not_your_assistant"),
            409: error_response("not_a_mentor"),
        },
    )
    @action(detail=True, methods=["post"], url_path="mentorship/adopt")
    def mentorship_adopt(self, request, pk=None):
        """``mentee`` (yours) adopts prompts this mentor offers (all of them when ``prompts`` is
        omitted): a mentorship log with the mutation notes, and a licence to each prompt."""
        mentor = self.get_object()
        serializer = MentorshipAdoptSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        log = services.mentorship_adopt(mentor=mentor, **serializer.validated_data)
        return Response(_log_read(log.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MentorTagWriteSerializer,
        responses={
            200: MentorTagSerializer,
            201: MentorTagSerializer,
            400: error_response("prompt_not_own", "does_not_exist"),
            403: error_response("not_owner"),
        },
    )
    @action(detail=True, methods=["post"], url_path="mentorship/tag")
    def mentorship_tag(self, request, pk=None):
        """Opt in as a mentor (201), or change notes and offered prompts (200). The assistant's
        owner only; offered prompts must be the assistant's own public prompts."""
        assistant = self.get_object()
        check_owner(request, assistant.owner_id)
        serializer = MentorTagWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        _, created = services.mentor_tag_set(assistant=assistant, **serializer.validated_data)
        return Response(
            MentorTagSerializer(selectors.mentor_tag_for(assistant)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Opted out."),
            403: error_response("not_owner"),
        },
    )
    @mentorship_tag.mapping.delete
    def mentorship_untag(self, request, pk=None):
        """Opt out as a mentor (404 when not a mentor). The mentorship logs stay."""
        assistant = self.get_object()
        check_owner(request, assistant.owner_id)
        services.mentor_tag_delete(assistant=assistant)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["mentorship"])
class MentorshipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Mentorship logs, public and append-only: cursor-paginated, newest first."""

    serializer_class = MentorshipLogSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = MentorshipFilter
    pagination_class = CursorPagination

    def get_queryset(self):
        return selectors.mentorships_all()

    @extend_schema(
        request=MentorshipFeedbackSerializer,
        responses={200: MentorshipLogSerializer, 403: error_response("not_owner")},
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        """The mentee's owner rates the mentorship: ``trust_delta`` in [-1, 1] (again to
        replace it). The mentor's score follows in the same transaction."""
        log = self.get_object()
        check_owner(request, log.mentee.owner_id)
        serializer = MentorshipFeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.mentorship_feedback(log=log, **serializer.validated_data)
        return Response(_log_read(log.pk))
