from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: assistants, prompts, rituals, codex"

    def ready(self) -> None:
        from .db import register_loaders

        connection_created.connect(register_loaders, dispatch_uid="core.db.register_loaders")
