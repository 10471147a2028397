from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "HTTP API"

    def ready(self) -> None:
        from django_tasks_db.compat import TaskResultStatus, task_finished

        from . import schema_extensions  # noqa: F401  (registers OpenAPI extensions)
        from .metrics import JOB_FAILURES
        from .request_id import install_log_record_factory

        install_log_record_factory()

        def count_failure(sender, task_result, **kwargs) -> None:
            if task_result.status == TaskResultStatus.FAILED:
                JOB_FAILURES.labels(task=task_result.task.module_path).inc()

        task_finished.connect(count_failure, weak=False, dispatch_uid="api.count_job_failures")

        from .events.hub import events_bus, redis_publish

        if events_bus() == "redis":
            from core.events import event_listener_add

            event_listener_add(redis_publish)  # other processes' stream hubs hear of commits
