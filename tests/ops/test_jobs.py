"""The job worker: housekeeping, its once-per-slot schedule, jobs after commit, and two
workers sharing one queue without running a job twice (PostgreSQL)."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from knox.models import AuthToken

from api import jobs
from api.metrics import REGISTRY
from api.models import PeriodicSlot
from economy.models import IdempotencyKey
from tests.factories import UserFactory
from tests.ops import jobs as test_jobs

ROOT = Path(__file__).resolve().parents[2]


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def key(user, name: str, *, state: str, age: timedelta) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        user=user,
        key=name,
        scope="s",
        fingerprint="f",
        state=state,
        created_at=timezone.now() - age,
    )


@pytest.mark.django_db(transaction=True)
def test_housekeeping_on_the_worker_removes_only_what_is_past_its_time(settings):
    user = UserFactory()
    live_token, _ = AuthToken.objects.create(user, expiry=timedelta(hours=1))
    dead_token, _ = AuthToken.objects.create(user, expiry=timedelta(hours=1))
    AuthToken.objects.filter(pk=dead_token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    stale = settings.IDEMPOTENCY_STALE_SECONDS
    kept = [
        key(user, "fresh-done", state="completed", age=timedelta(hours=1)),
        key(user, "running", state="in_progress", age=timedelta(seconds=stale - 5)),
    ]
    key(
        user, "old-done", state="completed", age=settings.IDEMPOTENCY_KEY_TTL + timedelta(minutes=1)
    )
    key(user, "crashed", state="in_progress", age=timedelta(seconds=stale + 5))

    assert jobs.schedule_periodic() is True
    run_worker()

    assert list(AuthToken.objects.values_list("pk", flat=True)) == [live_token.pk]
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {k.key for k in kept}
    result = DBTaskResult.objects.get(task_path="api.jobs.housekeeping")
    assert result.status == "SUCCESSFUL"
    assert result.return_value == {
        "auth_tokens_purge_expired": 1,
        "idempotency_keys_purge": 1,
        "idempotency_keys_release_stale": 1,
        "job_results_fail_lost": 0,
        "job_results_prune": 0,
        "periodic_slots_prune": 0,
        "webhook_deliveries_purge": 0,
        "webhook_deliveries_requeue_lost": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_old_job_records_and_slots_are_pruned(settings):
    test_jobs.always_fails.enqueue()
    run_worker()
    long_ago = timezone.now() - timedelta(days=settings.JOB_RESULTS_KEEP_DAYS, minutes=1)
    DBTaskResult.objects.update(finished_at=long_ago)
    PeriodicSlot.objects.create(job="housekeeping", slot=1)
    PeriodicSlot.objects.update(created_at=long_ago)
    assert jobs.housekeeping.call() == {
        "auth_tokens_purge_expired": 0,
        "idempotency_keys_purge": 0,
        "idempotency_keys_release_stale": 0,
        "job_results_fail_lost": 0,
        "job_results_prune": 1,
        "periodic_slots_prune": 1,
        "webhook_deliveries_purge": 0,
        "webhook_deliveries_requeue_lost": 0,
    }


def claimed(age: timedelta, worker: str) -> DBTaskResult:
    """A job a worker claimed ``age`` ago, as db_worker claims one, and never finished."""
    result = test_jobs.record_run.enqueue(1)
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim(worker)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - age)
    return row


def lost_count(task_path: str) -> float:
    return REGISTRY.get_sample_value("mythos_jobs_lost_total", {"task": task_path}) or 0.0


def failure_count(task_path: str) -> float:
    return REGISTRY.get_sample_value("mythos_job_failures_total", {"task": task_path}) or 0.0


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_died_is_recorded_as_failed_and_counted(settings):
    lost_after = timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
    dead = claimed(lost_after + timedelta(minutes=1), "killed-worker")
    slow = claimed(lost_after - timedelta(minutes=1), "busy-worker")
    path = "tests.ops.jobs.record_run"
    lost_before, failed_before = lost_count(path), failure_count(path)

    assert jobs.housekeeping.call()["job_results_fail_lost"] == 1

    dead.refresh_from_db()
    assert dead.status == "FAILED"
    assert dead.finished_at is not None
    assert dead.worker_ids == ["killed-worker"]
    [error] = dead.task_result.errors
    assert error.exception_class is jobs.WorkerLost
    assert "its worker is gone" in error.traceback
    assert lost_count(path) == lost_before + 1
    assert failure_count(path) == failed_before  # that one counts jobs that raised
    slow.refresh_from_db()
    assert slow.status == "RUNNING"  # still within its time: its worker may be at it
    # Recorded once: the next run finds nothing more, and the record is pruned in its time.
    assert jobs.job_results_fail_lost() == 0
    assert lost_count(path) == lost_before + 1
    later = timezone.now() + timedelta(days=settings.JOB_RESULTS_KEEP_DAYS, minutes=1)
    assert jobs.job_results_prune(now=later) == 1
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [slow.pk]


@pytest.mark.django_db(transaction=True)
def test_a_slow_job_that_ends_after_all_records_its_own_result(settings):
    # The worker's copy of the record, taken as it claimed the job, is the one it saves.
    row = claimed(timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS + 60), "slow-worker")
    assert jobs.job_results_fail_lost() == 1
    row.set_successful(None)  # what db_worker does when the job returns
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert (row.exception_class_path, row.traceback) == ("", "")


@pytest.mark.django_db(transaction=True)
def test_a_job_that_finishes_while_housekeeping_looks_is_left_alone(settings, monkeypatch):
    """The UPDATE re-checks status and age: a job whose worker records its result between the
    look-up of lost tasks and the update is neither marked nor counted."""
    row = claimed(timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS + 60), "late-worker")
    path = "tests.ops.jobs.record_run"
    before = lost_count(path)
    real_update = QuerySet.update

    def finish_first(qs, **kwargs):
        DBTaskResult.objects.get(pk=row.pk).set_successful(None)
        return real_update(qs, **kwargs)

    monkeypatch.setattr(QuerySet, "update", finish_first)
    assert jobs.job_results_fail_lost() == 0
    monkeypatch.undo()
    assert DBTaskResult.objects.get(pk=row.pk).status == "SUCCESSFUL"
    assert lost_count(path) == before


def test_job_lost_after_below_a_minute_refuses_to_start():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
             "JOB_LOST_AFTER_SECONDS": "30"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "JOB_LOST_AFTER_SECONDS must be at least 60" in result.stderr


@pytest.mark.django_db
def test_housekeeping_is_enqueued_once_per_slot_and_only_after_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.HOUSEKEEPING_INTERVAL_SECONDS = 300
    t0 = timezone.now().replace(minute=0, second=1, microsecond=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert jobs.schedule_periodic(now=t0) is True
    assert not DBTaskResult.objects.exists()  # nothing is queued before the commit
    for callback in callbacks:
        callback()
    assert DBTaskResult.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        # Every other worker asking during the same slot gets nothing to do.
        assert jobs.schedule_periodic(now=t0 + timedelta(seconds=200)) is False
        assert jobs.schedule_periodic(now=t0) is False
        # The next slot is due again.
        assert jobs.schedule_periodic(now=t0 + timedelta(seconds=300)) is True
    assert DBTaskResult.objects.filter(task_path="api.jobs.housekeeping").count() == 2
    assert PeriodicSlot.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_claim_enqueues_nothing():
    def claim_then_fail() -> None:
        with transaction.atomic():
            jobs.schedule_periodic()
            raise RuntimeError("the surrounding transaction fails")

    with pytest.raises(RuntimeError):
        claim_then_fail()
    assert not DBTaskResult.objects.exists()
    assert not PeriodicSlot.objects.exists()
    assert jobs.schedule_periodic() is True


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_schedules_housekeeping_and_runs_it():
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    # The scheduler claimed the slot as the worker started (and stopped with it); the job may
    # have been queued after that batch had looked, so one more pass runs it.
    assert PeriodicSlot.objects.count() == 1
    run_worker()
    assert DBTaskResult.objects.get(task_path="api.jobs.housekeeping").status == "SUCCESSFUL"


JOBS = 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_job_twice():
    from django_tasks_db.management.commands.db_worker import Worker

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE ops_job_runs (n integer PRIMARY KEY, worker bigint NOT NULL)")
    try:
        for n in range(JOBS):
            test_jobs.record_run.enqueue(n, pause=0.02)
        barrier = threading.Barrier(2)
        errors: list = []

        def work(worker_id: str) -> None:
            try:
                barrier.wait(timeout=10)
                Worker(
                    queue_names=["default"],
                    interval=0,
                    batch=True,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=None,
                    worker_id=worker_id,
                    excluded_queue_names=[],
                ).run()
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

        assert errors == []
        with connection.cursor() as cursor:
            cursor.execute("SELECT n, worker FROM ops_job_runs")
            runs = cursor.fetchall()
        assert sorted(n for n, _ in runs) == list(range(JOBS))  # each job ran, once
        assert len({w for _, w in runs}) == 2  # and both workers took a share
        statuses = list(DBTaskResult.objects.values_list("status", flat=True))
        assert statuses == ["SUCCESSFUL"] * JOBS
        claims = list(DBTaskResult.objects.values_list("worker_ids", flat=True))
        assert sorted({tuple(ids) for ids in claims}) == [("w0",), ("w1",)]  # one claim each
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE ops_job_runs")
