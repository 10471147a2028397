"""Concurrent steps never share a step number: real threads, each with its own connection,
against a chain row that the step locks (PostgreSQL) or an IMMEDIATE transaction (SQLite)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import AssistantFactory, UserFactory
from tests.training.factories import make_chain
from training.models import AssistantReflectionChain, SwarmTrainingChain

THREADS = 6


def _run_steps(user, chain_id, bodies):
    barrier = threading.Barrier(len(bodies))
    results: list = [None] * len(bodies)

    def worker(i):
        try:
            client = APIClient()
            client.force_authenticate(user=user)
            barrier.wait()
            r = client.post(f"/api/v1/train/chains/{chain_id}/step/", bodies[i], format="json")
            results[i] = (r.status_code, r.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _setup():
    user = UserFactory()
    a, b = AssistantFactory(owner=user), AssistantFactory(owner=user)
    return user, a, b, make_chain(seed=a, involved=[a, b])


def _body(**extra):
    return {"reflection_notes": "r", "memory_snapshot": {}, "belief_delta": 0.1, **extra}


def _check_without_expected_step():
    user, a, b, chain = _setup()
    results = _run_steps(user, chain.pk, [_body() for _ in range(THREADS)])
    assert [code for code, _ in results] == [201] * THREADS, results
    steps = sorted(body["reflection"]["step"] for _, body in results)
    assert steps == list(range(THREADS))
    chain.refresh_from_db()
    assert chain.current_step == THREADS
    assert sorted(chain.reflections.values_list("step", flat=True)) == steps
    tracker = chain.belief_delta_tracker
    assert tracker[str(a.pk)] == pytest.approx(0.1 * THREADS / 2)
    assert tracker[str(b.pk)] == pytest.approx(0.1 * THREADS / 2)


def _check_with_expected_step():
    user, _, _, chain = _setup()
    results = _run_steps(user, chain.pk, [_body(expected_step=0) for _ in range(THREADS)])
    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * (THREADS - 1), results
    for code, body in results:
        if code == 409:
            assert [e["code"] for e in body["errors"]] == ["stale_step"]
    assert AssistantReflectionChain.objects.filter(chain=chain).count() == 1
    assert SwarmTrainingChain.objects.get(pk=chain.pk).current_step == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_steps_take_distinct_step_numbers():
    _check_without_expected_step()


@pytest.mark.django_db(transaction=True)
def test_concurrent_steps_with_expected_step_one_wins_others_are_stale():
    _check_with_expected_step()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_steps_on_postgresql():
    assert connection.vendor == "postgresql"
    _check_without_expected_step()
    _check_with_expected_step()
