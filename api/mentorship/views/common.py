"""What the bundle and curriculum views share."""

from functools import cached_property

from core.selectors import assistants_count


class AssistantsCountMixin:
    """The denominator of the adoption formulas, counted once per request."""

    @cached_property
    def assistants_count(self) -> int:
        return assistants_count()

    def get_serializer_context(self):
        context = super().get_serializer_context()  # type: ignore[misc]
        context["assistants_count"] = self.assistants_count
        return context
