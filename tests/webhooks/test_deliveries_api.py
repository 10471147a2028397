"""``/webhooks/{id}/deliveries/``: the log (cursor pages, attempts), manual retry, the purge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.events import event_emit
from core.models import WebhookAttempt, WebhookDelivery
from core.webhooks import webhook_create, webhook_deliveries_purge
from tests.conftest import count_queries, error_codes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.215.14/hook"


def deliveries_for(user, n: int, attempts_each: int = 2):
    endpoint = webhook_create(owner=user, url=PUBLIC)
    for i in range(n):
        event_emit(type="chain.completed", data={"chain": i + 1, "steps": 1}, recipients=[user.pk])
    for delivery in WebhookDelivery.objects.filter(endpoint=endpoint):
        for k in range(attempts_each):
            WebhookAttempt.objects.create(
                delivery=delivery, attempted_at=timezone.now(), status_code=500 + k, duration_ms=7
            )
    WebhookDelivery.objects.filter(endpoint=endpoint).update(attempts=attempts_each)
    return endpoint


def test_the_log_shows_each_delivery_with_its_attempts(owner_client, user):
    endpoint = deliveries_for(user, 3)
    url = f"/api/v1/webhooks/{endpoint.pk}/deliveries/"
    n, r = count_queries(lambda: owner_client.get(url))
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert [d["id"] for d in results] == sorted((d["id"] for d in results), reverse=True)
    first = results[0]
    assert first["type"] == "chain.completed"
    assert first["status"] == "pending"
    assert first["attempts"] == 2
    assert first["in_flight"] is False
    assert [a["status_code"] for a in first["attempt_log"]] == [500, 501]
    assert first["attempt_log"][0]["duration_ms"] == 7
    deliveries_for(UserFactory(), 5)  # another endpoint's: not in this log, nor extra queries
    n2, r2 = count_queries(lambda: owner_client.get(url, {"page_size": 100}))
    assert len(r2.json()["results"]) == 3
    assert n == n2 <= 4


def test_retry_is_404_for_another_users_delivery(owner_client, other_client, user, other_user):
    mine = deliveries_for(user, 1)
    theirs = deliveries_for(other_user, 1)
    their_delivery = WebhookDelivery.objects.get(endpoint=theirs)
    for url in (
        f"/api/v1/webhooks/{theirs.pk}/deliveries/{their_delivery.pk}/retry/",
        f"/api/v1/webhooks/{mine.pk}/deliveries/{their_delivery.pk}/retry/",
        f"/api/v1/webhooks/{mine.pk}/deliveries/999999/retry/",
    ):
        r = owner_client.post(url)
        assert r.status_code == 404, url
    assert WebhookDelivery.objects.get(pk=their_delivery.pk).next_attempt_at is not None


def test_retry_of_a_delivery_waiting_for_its_backoff_brings_it_forward(owner_client, user):
    endpoint = deliveries_for(user, 1)
    delivery = WebhookDelivery.objects.get()
    later = timezone.now() + timedelta(hours=2)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=later)
    n, r = count_queries(
        lambda: owner_client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/")
    )
    assert r.status_code == 200, r.content
    delivery.refresh_from_db()
    assert delivery.next_attempt_at <= timezone.now()
    assert delivery.status == "pending"
    assert n <= 9


def test_retry_on_an_inactive_endpoint_is_409(owner_client, user):
    endpoint = deliveries_for(user, 1)
    delivery = WebhookDelivery.objects.get()
    endpoint.is_active = False
    endpoint.save()
    r = owner_client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/")
    assert r.status_code == 409
    assert error_codes(r) == ["webhook_inactive"]


def test_anonymous_retry_is_401(anon_client, user):
    endpoint = deliveries_for(user, 1)
    delivery = WebhookDelivery.objects.get()
    r = anon_client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/")
    assert r.status_code == 401


def test_purge_drops_old_finished_deliveries_only(user, settings):
    settings.WEBHOOK_DELIVERY_RETENTION = timedelta(days=30)
    deliveries_for(user, 4)
    old = timezone.now() - timedelta(days=31)
    ids = list(WebhookDelivery.objects.values_list("id", flat=True))
    WebhookDelivery.objects.filter(pk=ids[0]).update(created_at=old, status="succeeded")
    WebhookDelivery.objects.filter(pk=ids[1]).update(created_at=old, status="failed")
    WebhookDelivery.objects.filter(pk=ids[2]).update(created_at=old)  # still pending: kept
    WebhookDelivery.objects.filter(pk=ids[3]).update(status="succeeded")  # recent: kept
    assert webhook_deliveries_purge() == 2
    assert sorted(WebhookDelivery.objects.values_list("id", flat=True)) == ids[2:]
    assert not WebhookAttempt.objects.filter(delivery_id__in=ids[:2]).exists()
    assert WebhookAttempt.objects.filter(delivery_id__in=ids[2:]).count() == 4
