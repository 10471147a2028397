from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    name = "mentorship"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, pre_delete

        from core.models import Ritual
        from core.selectors import codex_clause_field_register
        from core.signals import prompt_changed, ritual_changed

        from . import receivers

        ritual_changed.connect(
            receivers.rebuild_exports_for_ritual, dispatch_uid="mentorship-ritual"
        )
        prompt_changed.connect(
            receivers.rebuild_exports_for_prompt, dispatch_uid="mentorship-prompt"
        )
        # Deleting a ritual (API or admin) drops it from the curricula exports that showed it.
        pre_delete.connect(
            receivers.remember_curricula_of_ritual,
            sender=Ritual,
            dispatch_uid="mentorship-ritual-pre",
        )
        post_delete.connect(
            receivers.rebuild_curricula_of_deleted_ritual,
            sender=Ritual,
            dispatch_uid="mentorship-ritual-post",
        )
        # Bundles and curricula name codex clauses too: a clause they use is not deletable.
        codex_clause_field_register("mentorship.RitualTagBundle", "codex_clauses", "list")
        codex_clause_field_register("mentorship.PromptCurriculumVault", "codex_alignment", "keys")
