"""Jobs run by the worker (``manage.py worker``: django-tasks with its database backend).

Housekeeping runs once per ``HOUSEKEEPING_INTERVAL_SECONDS`` on whichever worker gets there
first: each worker's scheduler thread calls ``schedule_periodic`` every few seconds; the
unique (job, slot) row lets one of them enqueue per slot, however many workers and hosts run.
Add a purge to housekeeping with one line in ``PURGES`` (a keyword-only function taking
``now`` and returning how many rows it deleted).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core.webhooks import webhook_deliveries_purge, webhook_deliveries_requeue_lost
from economy.services import idempotency_keys_purge, idempotency_keys_release_stale

from .auth.services import auth_tokens_purge_expired
from .metrics import JOBS_LOST
from .models import PeriodicSlot

logger = logging.getLogger(__name__)


def job_results_prune(*, now: datetime | None = None) -> int:
    """Delete finished job records older than JOB_RESULTS_KEEP_DAYS (failed ones included:
    they stay that long for inspection in the admin)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.JOB_RESULTS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


# Its dotted path is stored in job records (``exception_class_path``) and imported when one is
# read: keep it here, under this name.
class WorkerLost(Exception):
    """The exception recorded for a job whose worker died while running it."""


def job_results_fail_lost(*, now: datetime | None = None) -> int:
    """Record as failed (``api.jobs.WorkerLost``) the jobs still running
    JOB_LOST_AFTER_SECONDS after they started: their worker was killed or its host went away,
    and nothing else would ever finish their record (it would count as running in
    ``mythos_jobs`` for good). Each is counted in ``mythos_jobs_lost_total`` and pruned with the
    other finished records. None is run again: a job may have done part of its work before its
    worker died, and webhook deliveries have their own sweep
    (``webhook_deliveries_requeue_lost``). A job that was only slow and ends after all records
    its own result over this one. Answers how many it recorded.

    One UPDATE per task, each re-checking the status and the age, so a job that finishes in
    between is left alone and the count is what the database changed, on any database."""
    now = now or timezone.now()
    lost = DBTaskResult.objects.running().filter(
        started_at__lt=now - timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
    )
    total = 0
    for task_path in lost.order_by().values_list("task_path", flat=True).distinct():
        marked = lost.filter(task_path=task_path).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=(
                f"{WorkerLost.__qualname__}: still running {settings.JOB_LOST_AFTER_SECONDS} s "
                "after it started; its worker is gone\n"
            ),
        )
        if marked:
            JOBS_LOST.labels(task=task_path).inc(marked)
            total += marked
    return total


def periodic_slots_prune(*, now: datetime | None = None) -> int:
    """Delete slot claims older than a day (only the current slot's row guards anything)."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    deleted, _ = PeriodicSlot.objects.filter(created_at__lt=cutoff).delete()
    return deleted


PURGES: list[Callable[..., int]] = [
    auth_tokens_purge_expired,
    idempotency_keys_purge,
    idempotency_keys_release_stale,
    job_results_fail_lost,
    job_results_prune,
    periodic_slots_prune,
    webhook_deliveries_purge,
    webhook_deliveries_requeue_lost,
]


@task()
def housekeeping() -> dict[str, int]:
    """Run every purge; each is its own statement, so one failing leaves the others done."""
    now = timezone.now()
    deleted = {purge.__name__: purge(now=now) for purge in PURGES}
    logger.info("housekeeping done", extra={"deleted": deleted})
    return deleted


def schedule_periodic(*, now: datetime | None = None) -> bool:
    """Enqueue housekeeping if nobody has for the current slot; True if this call did.

    The job is enqueued once the claim has committed (a rolled-back claim enqueues nothing).
    """
    interval = settings.HOUSEKEEPING_INTERVAL_SECONDS
    slot = int((now or timezone.now()).timestamp() // interval)
    try:
        with transaction.atomic():
            PeriodicSlot.objects.create(job="housekeeping", slot=slot)
            transaction.on_commit(housekeeping.enqueue)
    except IntegrityError:
        return False
    return True
