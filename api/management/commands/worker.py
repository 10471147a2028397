"""``manage.py worker``: the job worker (django-tasks-db's ``db_worker``, same options) plus a
scheduler thread that enqueues periodic housekeeping (api.jobs.schedule_periodic).

Run one or more per host; they share the queue in the database (on PostgreSQL each job is
claimed with SELECT ... FOR UPDATE SKIP LOCKED, so no job runs twice).
"""

import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from api.jobs import schedule_periodic

logger = logging.getLogger(__name__)


def run_scheduler(stop: threading.Event, every: float) -> None:
    """Try to claim the current housekeeping slot every ``every`` seconds until ``stop``."""
    while True:
        close_old_connections()
        try:
            if schedule_periodic():
                logger.info("housekeeping enqueued")
        except Exception:  # a database blip must not kill the scheduler: try next time
            logger.exception("scheduling housekeeping failed")
        finally:
            connections.close_all()
        if stop.wait(every):
            return


class Command(DbWorkerCommand):
    help = "Run the job worker with the periodic housekeeping scheduler"

    def handle(self, *args, **options):
        reload = options.get("reload") and not options.get("batch")
        # Under the autoreloader only the child process works; the parent just restarts it.
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)
        stop = threading.Event()
        every = min(10.0, float(settings.HOUSEKEEPING_INTERVAL_SECONDS))
        scheduler = threading.Thread(
            target=run_scheduler, args=(stop, every), name="housekeeping-scheduler", daemon=True
        )
        scheduler.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
            scheduler.join(timeout=30)
