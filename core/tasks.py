"""Jobs run by the worker (django-tasks, database backend): never inside a request."""

from django_tasks import task


@task()
def webhook_deliver(delivery_id: int) -> None:
    """Send the due attempt of one webhook delivery (a no-op when another worker has it or it
    is not due: see ``core.webhooks.webhook_delivery_attempt``)."""
    from .webhooks import (
        webhook_delivery_attempt,
    )  # the sender imports the outbox, which imports us

    webhook_delivery_attempt(delivery_id=delivery_id)
