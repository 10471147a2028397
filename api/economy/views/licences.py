from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated

from api.pagination import CursorPagination
from api.permissions import own_assistant_or_403
from api.schema import OWNER_ONLY
from api.viewsets import GenericViewSet
from core.models import PromptLicence
from economy import selectors

from ..serializers import LicenceSerializer
from .common import ASSISTANT_PK


@extend_schema_view(
    list=extend_schema(responses={200: LicenceSerializer(many=True), 403: OWNER_ONLY})
)
@extend_schema(tags=["wallets"], parameters=[ASSISTANT_PK])
class AssistantLicencesViewSet(mixins.ListModelMixin, GenericViewSet):
    """``/assistants/{id}/licences/``: what the assistant holds, newest first (cursor pages);
    the owner's alone, like the wallet."""

    permission_classes = [IsAuthenticated]
    serializer_class = LicenceSerializer
    pagination_class = CursorPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PromptLicence.objects.none()
        assistant = own_assistant_or_403(self.request, self.kwargs["assistant_pk"])
        return selectors.licences_of(assistant=assistant)
