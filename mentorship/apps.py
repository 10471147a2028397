from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    name = "mentorship"

    def ready(self) -> None:
        from core.signals import prompt_changed, ritual_changed

        from . import receivers

        ritual_changed.connect(
            receivers.rebuild_exports_for_ritual, dispatch_uid="mentorship-ritual"
        )
        prompt_changed.connect(
            receivers.rebuild_exports_for_prompt, dispatch_uid="mentorship-prompt"
        )
