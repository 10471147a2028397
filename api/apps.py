from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "HTTP API"

    def ready(self) -> None:
        from . import schema_extensions  # noqa: F401  (registers OpenAPI extensions)
        from .events.hub import events_bus, redis_publish

        if events_bus() == "redis":
            from core.events import event_listener_add

            event_listener_add(redis_publish)  # other processes' stream hubs hear of commits
