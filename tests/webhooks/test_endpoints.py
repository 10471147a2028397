"""``/api/v1/webhooks/``: the owner's endpoints, a secret shown once, the SSRF rule, the filter."""

import base64

import pytest
from django.db import transaction

from core.models import WebhookDelivery, WebhookEndpoint
from core.webhooks import webhook_create
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory, UserFactory
from tests.webhooks.endpoints_helpers import PUBLIC, URL, create, endpoint_for

# Nothing here may reach the network (see the no_requests fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_requests")]


# --- create and read --------------------------------------------------------------------------


def test_create_shows_the_secret_once(owner_client, user):
    n, r = count_queries(
        lambda: create(owner_client, types=["purchase.completed"], description="sales")
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["url"] == PUBLIC
    assert body["types"] == ["purchase.completed"]
    assert body["is_active"] is True
    assert body["description"] == "sales"
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) >= 24
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.owner == user
    assert endpoint.secret == secret
    assert n <= 4  # savepoint, insert, release (and the session/auth)
    listed, detail = owner_client.get(URL), owner_client.get(f"{URL}{endpoint.pk}/")
    assert "secret" not in listed.json()["results"][0]
    assert "secret" not in detail.json()
    for read in (listed, detail):
        assert secret not in read.content.decode()


def test_two_creations_get_different_secrets(owner_client):
    a, b = create(owner_client).json()["secret"], create(owner_client).json()["secret"]
    assert a != b


def test_list_is_the_callers_own_and_costs_constant_queries(owner_client, user, other_user):
    mine = [endpoint_for(user) for _ in range(3)]
    endpoint_for(other_user)
    n, r = count_queries(lambda: owner_client.get(URL))
    assert r.status_code == 200
    assert [e["id"] for e in r.json()["results"]] == [e.pk for e in mine]
    endpoint_for(user)
    n2, _ = count_queries(lambda: owner_client.get(URL))
    assert n == n2 <= 2


def test_anonymous_gets_401(anon_client, user):
    endpoint = endpoint_for(user)
    assert anon_client.get(URL).status_code == 401
    assert create(anon_client).status_code == 401
    assert anon_client.post(f"{URL}{endpoint.pk}/test/").status_code == 401
    assert anon_client.get(f"{URL}{endpoint.pk}/deliveries/").status_code == 401
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "rotate-secret/"),
        ("post", "test/"),
        ("get", "deliveries/"),
    ],
)
def test_someone_elses_endpoint_is_404_like_a_missing_one(other_client, user, method, suffix):
    endpoint = endpoint_for(user)
    before = WebhookEndpoint.objects.values().get()
    r = getattr(other_client, method)(f"{URL}{endpoint.pk}/{suffix}", {}, format="json")
    missing = getattr(other_client, method)(f"{URL}999999/{suffix}", {}, format="json")
    assert r.status_code == missing.status_code == 404
    assert r.json() == missing.json()
    assert WebhookEndpoint.objects.values().get() == before
    assert not WebhookDelivery.objects.exists()


def test_staff_do_not_see_others_endpoints(staff_client, user):
    endpoint = endpoint_for(user)
    assert staff_client.get(f"{URL}{endpoint.pk}/").status_code == 404


# --- update, rotate, delete -------------------------------------------------------------------


def test_update_vets_a_new_url_and_changes_nothing_when_refused(owner_client, user):
    endpoint = endpoint_for(user)
    r = owner_client.patch(f"{URL}{endpoint.pk}/", {"url": "https://10.0.0.1/"}, format="json")
    assert error_codes(r) == ["webhook_url_forbidden"]
    r = owner_client.patch(f"{URL}{endpoint.pk}/", {"types": ["nope"]}, format="json")
    assert error_codes(r) == ["unknown_event_type"]
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC
    assert endpoint.types == []
    r = owner_client.patch(
        f"{URL}{endpoint.pk}/",
        {"types": ["prompt.rated", "prompt.rated"], "description": "d"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["types"] == ["prompt.rated"]
    assert "secret" not in r.json()
    endpoint.refresh_from_db()
    assert endpoint.types == ["prompt.rated"]
    assert endpoint.description == "d"


def test_turning_an_endpoint_back_on_forgets_its_failures(owner_client, user):
    endpoint = endpoint_for(user)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, failing_since="2020-01-01T00:00:00Z", disabled_at="2020-01-06T00:00:00Z"
    )
    r = owner_client.patch(f"{URL}{endpoint.pk}/", {"is_active": True}, format="json")
    assert r.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.failing_since is None
    assert endpoint.disabled_at is None


def test_rotate_secret_shows_the_new_one_once(owner_client, user):
    endpoint = endpoint_for(user)
    old = endpoint.secret
    r = owner_client.post(f"{URL}{endpoint.pk}/rotate-secret/")
    assert r.status_code == 200, r.content
    new = r.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old
    endpoint.refresh_from_db()
    assert endpoint.secret == new
    assert endpoint.previous_secret == old
    assert r.json()["previous_secret_expires_at"] is not None
    assert "secret" not in owner_client.get(f"{URL}{endpoint.pk}/").json()


def test_delete_takes_the_deliveries_along(owner_client, user, assistant, other_client):
    endpoint = endpoint_for(user)
    listing = ListingFactory(prompt=PromptFactory(author=assistant))
    listing_delist = owner_client.post(f"/api/v1/market/prompts/{listing.pk}/delist/")
    assert listing_delist.status_code in (200, 204), listing_delist.content
    assert WebhookDelivery.objects.filter(endpoint=endpoint).exists()
    assert owner_client.delete(f"{URL}{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


# --- the outbox: who gets a delivery ----------------------------------------------------------


def test_an_event_gets_a_delivery_per_matching_active_endpoint(
    other_client, user, assistant, other_assistant
):
    every = endpoint_for(user)
    sales = webhook_create(owner=user, url=PUBLIC, types=["purchase.completed"])
    ratings = webhook_create(owner=user, url=PUBLIC, types=["prompt.rated"])
    off = endpoint_for(user, is_active=False)
    stranger = endpoint_for(UserFactory())
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
    r = other_client.post(
        f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}, format="json"
    )
    assert r.status_code == 201, r.content
    got = set(WebhookDelivery.objects.values_list("endpoint_id", flat=True))
    assert got == {every.pk, sales.pk}
    assert ratings.pk not in got
    assert off.pk not in got
    assert stranger.pk not in got
    delivery = WebhookDelivery.objects.get(endpoint=sales)
    assert delivery.event.type == "purchase.completed"
    assert delivery.status == "pending"
    assert delivery.attempts == 0


def test_a_change_that_rolls_back_leaves_no_delivery(user, assistant):
    from core.events import event_emit

    endpoint_for(user)

    @transaction.atomic
    def change_that_fails():
        event_emit(type="chain.completed", data={"chain": 1, "steps": 1}, recipients=[user.pk])
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not WebhookDelivery.objects.exists()
