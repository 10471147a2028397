from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "HTTP API"

    def ready(self) -> None:
        from . import schema_extensions  # noqa: F401  (registers OpenAPI extensions)
