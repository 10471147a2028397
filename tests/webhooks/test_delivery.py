"""Deliveries on the job worker to a real HTTP receiver on loopback, which verifies every
signature with the reference ``standardwebhooks`` library."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from standardwebhooks import Webhook, WebhookVerificationError

from core import webhooks
from core.models import Event, EventRecipient, WebhookDelivery, WebhookEndpoint
from core.webhooks import webhook_create
from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory

from .conftest import run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback_targets")]


def endpoint_to(receiver, user, **fields) -> WebhookEndpoint:
    endpoint = webhook_create(owner=user, url=receiver.url, **fields)
    receiver.secret = endpoint.secret
    return endpoint


def buy(client, listing, buyer):
    r = client.post(f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": buyer.pk}, format="json")
    assert r.status_code == 201, r.content
    return r


def outcomes(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "mythos_webhook_delivery_attempts_total", {"outcome": outcome}
    )
    return value or 0.0


def test_a_sale_reaches_the_sellers_receiver_signed(
    receiver, user, assistant, other_client, other_assistant
):
    endpoint = endpoint_to(receiver, user, types=["purchase.completed"])
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=300)
    assert not receiver.received  # never in the request
    buy(other_client, listing, other_assistant)
    assert not receiver.received
    run_worker()
    (got,) = receiver.received
    event = Event.objects.get(type="purchase.completed")
    assert got.verified == {
        "type": "purchase.completed",
        "timestamp": event.created_at.isoformat(),
        "data": event.data,
    }
    assert got.headers["webhook-id"] == str(event.pk)
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is None
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [200]


def test_a_receiver_that_fails_then_recovers_gets_the_event_once(
    receiver, user, assistant, other_client, other_assistant
):
    receiver.script = [500, 503, 200]
    endpoint = endpoint_to(receiver, user, types=["purchase.completed"])
    listing = ListingFactory(prompt=PromptFactory(author=assistant))
    succeeded_before = outcomes("succeeded")
    buy(other_client, listing, other_assistant)
    run_worker()
    run_worker()  # nothing left to send: no second success
    sale = Event.objects.get(type="purchase.completed")
    deliveries = [r for r in receiver.received if json.loads(r.body)["type"] == sale.type]
    assert [r.status for r in deliveries] == [500, 503, 200]
    assert {r.headers["webhook-id"] for r in deliveries} == {str(sale.pk)}
    assert all(isinstance(r.verified, dict) for r in deliveries)
    assert len({r.body for r in deliveries}) == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=sale)
    assert delivery.status == "succeeded"
    assert delivery.attempts == 3
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [500, 503, 200]
    assert outcomes("succeeded") - succeeded_before == 1
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None  # the success ended the streak


def test_a_receiver_that_never_recovers_fails_the_delivery_after_the_schedule(
    receiver, user, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0]
    receiver.script = [500]
    endpoint = endpoint_to(receiver, user)
    failed_before = outcomes("failed")
    r = _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    assert r.status_code == 201, r.content
    run_worker()
    assert len(receiver.received) == 3  # the first attempt and two retries
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == 3
    assert delivery.next_attempt_at is None
    assert outcomes("failed") - failed_before == 1
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    assert endpoint.is_active  # five days have not passed


def test_rotation_signs_with_both_secrets_during_the_grace_period(receiver, user):
    endpoint = endpoint_to(receiver, user)
    old = endpoint.secret
    client = _client(user)
    new = client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/").json()["secret"]
    receiver.secret = new
    client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    run_worker()
    (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert isinstance(Webhook(new).verify(got.body, got.headers), dict)
    assert isinstance(Webhook(old).verify(got.body, got.headers), dict)
    # Once the grace period is over the old secret no longer signs.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    run_worker()
    later = receiver.received[1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    assert isinstance(Webhook(new).verify(later.body, later.headers), dict)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(later.body, later.headers)


def test_an_endpoint_failing_for_too_long_is_disabled_and_its_owner_told(receiver, user, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    receiver.script = [500]
    endpoint = endpoint_to(receiver, user)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=5, seconds=1)
    )
    _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    run_worker()
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None
    event = Event.objects.get(type="webhook.disabled")
    assert event.data == {"webhook": endpoint.pk, "url": endpoint.url}
    assert list(EventRecipient.objects.filter(event=event).values_list("user", flat=True)) == [
        user.pk
    ]
    # A disabled endpoint gets no delivery of the event that tells of it, nor any later one.
    assert not WebhookDelivery.objects.filter(event=event).exists()
    assert _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/").status_code == 409


def test_a_streak_under_the_limit_does_not_disable(receiver, user, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    receiver.script = [500]
    endpoint = endpoint_to(receiver, user)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=4)
    )
    _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    run_worker()
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert not Event.objects.filter(type="webhook.disabled").exists()


def test_a_target_that_turned_private_is_refused_at_delivery_time(receiver, user, settings):
    endpoint = endpoint_to(receiver, user)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_RETRY_SCHEDULE = []
    refused_before = outcomes("refused")
    _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    run_worker()
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "failed"
    (attempt,) = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert "private" in attempt.error
    assert outcomes("refused") - refused_before == 1


def test_a_test_send_reaches_only_that_endpoint_and_no_feed(receiver, user):
    endpoint = endpoint_to(receiver, user, types=["chain.turn"])
    other = webhook_create(owner=user, url=receiver.url)
    r = _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    assert r.status_code == 201, r.content
    assert r.json()["type"] == "webhook.test"
    assert r.json()["status"] == "pending"
    run_worker()
    (got,) = receiver.received
    assert got.verified["data"] == {"webhook": endpoint.pk}
    assert not WebhookDelivery.objects.filter(endpoint=other).exists()
    assert not EventRecipient.objects.exists()


def test_manual_retry_sends_a_failed_delivery_again(receiver, user, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    receiver.script = [500, 200]
    endpoint = endpoint_to(receiver, user)
    client = _client(user)
    client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    r = client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "pending"
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 2
    assert [r.headers["webhook-id"] for r in receiver.received] == [str(delivery.event_id)] * 2
    again = client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/")
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "delivery_succeeded"


def test_an_attempt_is_sent_once_whoever_runs_it(receiver, user):
    endpoint = endpoint_to(receiver, user)
    _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get()
    # Two workers holding the same job: the second finds the attempt claimed or done.
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None
    run_worker()  # the queued job itself: nothing left to send
    assert len(receiver.received) == 1


def test_a_claimed_attempt_is_not_sent_by_another_worker(receiver, user):
    endpoint = endpoint_to(receiver, user)
    _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.received == []
    r = _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/")
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "delivery_in_flight"


def _client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_housekeeping_requeues_a_delivery_whose_job_was_lost(receiver, user, settings):
    """A process that died between the commit and the enqueue leaves a pending delivery with
    no job: housekeeping enqueues it again and the receiver gets it once."""
    from api.jobs import housekeeping

    endpoint = endpoint_to(receiver, user)
    r = _client(user).post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    assert r.status_code == 201, r.content
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the job is lost
    run_worker()
    assert receiver.received == []
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=6))
    housekeeping.call()
    run_worker()
    run_worker()
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED
