from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter

from api.permissions import check_owner
from api.viewsets import ID_REGEX
from core.models import Assistant


def path_id(name: str, description: str) -> OpenApiParameter:
    """A parent id in a nested route: digits only, as the route's regex (``ID_REGEX``) matches."""
    return OpenApiParameter(
        name,
        {"type": "string", "pattern": rf"^{ID_REGEX}$"},
        OpenApiParameter.PATH,
        description=description,
    )


ASSISTANT_PK = path_id("assistant_pk", "The assistant's id.")
PROMPT_PK = path_id("prompt_pk", "The prompt's id.")


def own_assistant_or_403(request, pk) -> Assistant:
    """The assistant named in the URL: 404 when absent, 403 ``not_your_assistant`` unless the
    user owns it (staff may look at any). Assistants are public, so a 403 leaks nothing."""
    assistant = get_object_or_404(Assistant, pk=pk)
    check_owner(request, assistant.owner_id, code="not_your_assistant")
    return assistant
