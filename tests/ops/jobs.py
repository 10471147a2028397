"""Jobs the worker tests enqueue (a task must live in an importable module)."""

import threading
import time

from django.db import connection
from django_tasks import task


@task()
def always_fails() -> None:
    raise RuntimeError("this job always fails")


@task()
def record_run(n: int, pause: float = 0.0) -> None:
    """Insert this job's number into ops_job_runs (primary key: a second run of the same job
    fails on the unique key) with the thread that ran it."""
    time.sleep(pause)  # long enough that both workers are busy at once
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ops_job_runs (n, worker) VALUES (%s, %s)", [n, threading.get_ident()]
        )
