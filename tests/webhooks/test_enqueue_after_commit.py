"""The job queue failing after the change committed (a database blip while enqueueing the
delivery job) does not turn the answer into an error: the buy answers 201 with what it did,
the delivery row stays pending, and housekeeping enqueues it again."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from core.models import WebhookDelivery
from core.tasks import webhook_deliver
from economy.models import Purchase
from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory

from .conftest import run_worker
from .test_delivery import buy, endpoint_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback_targets")]


def test_a_queue_failing_after_commit_leaves_the_sale_answered_and_the_delivery_recovered(
    receiver, user, assistant, other_client, other_assistant, monkeypatch
):
    from api.jobs import housekeeping

    endpoint_to(receiver, user, types=["purchase.completed"])
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=300)
    calls = []

    def queue_down(*args, **kwargs):
        calls.append(args)
        raise OperationalError("could not connect to server")

    with monkeypatch.context() as patched:
        patched.setattr(type(webhook_deliver), "enqueue", queue_down)
        r = buy(other_client, listing, other_assistant)  # asserts 201
    assert calls, "the enqueue ran (and failed) after the commit"
    assert r.json()["buyer_balance"]
    assert Purchase.objects.filter(buyer=other_assistant).count() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    run_worker()
    assert receiver.received == []  # no job was queued
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=6))
    housekeeping.call()
    run_worker()
    run_worker()
    assert len(receiver.received) == 1
