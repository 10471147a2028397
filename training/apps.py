from django.apps import AppConfig


def _mutated_by(*, prompt_id: int, assistant_id: int) -> bool:
    """Whether the assistant made a mutation of the prompt (a purchase it used: no buyer refund)."""
    from .models import PromptMutationRing

    return PromptMutationRing.objects.filter(
        parent_prompt_id=prompt_id, mutated_prompt__author_id=assistant_id
    ).exists()


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self) -> None:
        from economy.services import purchase_use_checks

        if _mutated_by not in purchase_use_checks:
            purchase_use_checks.append(_mutated_by)
