from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter

from api.permissions import check_owner
from core.models import Assistant


def path_id(name: str, description: str) -> OpenApiParameter:
    """A parent id in a nested route: an integer of at most 18 digits (what ``ID_REGEX`` routes)."""
    return OpenApiParameter(
        name,
        {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
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
