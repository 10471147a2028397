"""Keep curricula's ``exported_json`` in step with the rituals and prompts it snapshots."""

from .models import PromptCurriculumVault
from .services import curricula_export_rebuild


def rebuild_exports_for_ritual(sender, *, ritual_id: int, **kwargs) -> None:
    ids = PromptCurriculumVault.objects.filter(ritual_tags__rituals=ritual_id).values_list(
        "pk", flat=True
    )
    curricula_export_rebuild(curriculum_ids=list(set(ids)))


def rebuild_exports_for_prompt(sender, *, prompt_id: int, **kwargs) -> None:
    ids = PromptCurriculumVault.objects.filter(
        ritual_tags__rituals__steps__prompt=prompt_id
    ).values_list("pk", flat=True)
    curricula_export_rebuild(curriculum_ids=list(set(ids)))


def remember_curricula_of_ritual(sender, instance, **kwargs) -> None:
    """Before a ritual is deleted: note the curricula whose export shows it."""
    instance._curricula_to_rebuild = list(
        set(
            PromptCurriculumVault.objects.filter(ritual_tags__rituals=instance.pk).values_list(
                "pk", flat=True
            )
        )
    )


def rebuild_curricula_of_deleted_ritual(sender, instance, **kwargs) -> None:
    curricula_export_rebuild(curriculum_ids=getattr(instance, "_curricula_to_rebuild", []))
