"""Several workers holding jobs for the same delivery at once send its attempt once: real
threads, each with its own connection, released together by a barrier, on PostgreSQL."""

import threading

import pytest
from django.db import connection

from core.webhooks import webhook_create, webhook_delivery_attempt, webhook_test

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.usefixtures("loopback_targets"),
]


def test_racing_workers_send_one_attempt(receiver, user):
    endpoint = webhook_create(owner=user, url=receiver.url)
    receiver.secret = endpoint.secret
    delivery = webhook_test(endpoint=endpoint)
    barrier = threading.Barrier(6)
    results: list = [None] * 6

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results[i] = webhook_delivery_attempt(delivery_id=delivery.pk)
        except Exception as exc:  # surfaced by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(str, results)) == ["None"] * 5 + ["succeeded"]
    assert len(receiver.received) == 1
    assert isinstance(receiver.received[0].verified, dict)
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.status == "succeeded"
