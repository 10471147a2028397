from drf_spectacular.utils import OpenApiParameter


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
