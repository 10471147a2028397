"""Rules that had no test failing without them: each test here goes red when its rule is
removed (the count cache's key, the idempotency fingerprint and release, the order of the
chain step checks). The races (purchase, rating and curriculum locks) are in
tests/economy/test_locks.py."""

import pytest

from core.models import PromptLicence
from economy import services as economy_services
from economy.models import IdempotencyKey, LedgerEntry, Wallet
from tests.conftest import error_codes
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory, UserFactory
from tests.training.factories import make_chain
from training.models import AssistantReflectionChain, SwarmTrainingChain

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached_counts(settings):
    """Every list count is cached (the rule for big lists), for a minute."""
    settings.API_COUNT_CACHE_MIN_ROWS = 1
    settings.API_COUNT_CACHE_SECONDS = 60


def _count(client, query=""):
    r = client.get(f"/api/v1/prompts/{query}")
    assert r.status_code == 200, r.content
    return r.json()["count"]


def test_a_cached_count_is_the_callers_own(cached_counts, owner_client, other_client, assistant):
    PromptFactory(author=assistant, is_public=False)
    PromptFactory.create_batch(2)
    assert _count(owner_client) == 3  # its own private prompt too
    assert _count(other_client) == 2
    assert _count(owner_client) == 3


def test_a_cached_count_is_per_search(cached_counts, anon_client):
    for title in ("alpha", "beta", "gamma"):
        PromptFactory(title=title)
    assert _count(anon_client, "?search=alpha") == 1
    assert _count(anon_client) == 3
    assert _count(anon_client, "?search=alpha") == 1


def _buy(client, listing, buyer, key):
    return client.post(
        f"/api/v1/market/prompts/{listing.pk}/buy/",
        {"buyer": buyer.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_the_same_key_with_another_body_is_rejected(other_client, other_user, other_assistant):
    """Same path, same key, another buyer: the fingerprint covers the body."""
    second = AssistantFactory(owner=other_user)
    listing = ListingFactory(token_cost_cents=0)
    assert _buy(other_client, listing, other_assistant, "k").status_code == 201
    r = _buy(other_client, listing, second, "k")
    assert r.status_code == 409
    assert error_codes(r) == ["idempotency_key_reused"]
    assert not PromptLicence.objects.filter(assistant=second).exists()


def test_a_5xx_releases_the_key_so_the_retry_runs(
    other_client, other_assistant, monkeypatch, django_assert_max_num_queries
):
    listing = ListingFactory(token_cost_cents=1000)
    real_buy = economy_services.listing_buy

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(economy_services, "listing_buy", broken)
    other_client.raise_request_exception = False
    r = _buy(other_client, listing, other_assistant, "retry-me")
    assert r.status_code == 500
    assert not IdempotencyKey.objects.exists()
    monkeypatch.setattr(economy_services, "listing_buy", real_buy)
    r = _buy(other_client, listing, other_assistant, "retry-me")
    assert r.status_code == 201, r.content
    assert "Idempotent-Replayed" not in r
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 1
    assert Wallet.objects.get(assistant=other_assistant).balance_cents == 9000
    assert IdempotencyKey.objects.get().state == "completed"


def test_not_your_turn_is_checked_before_chain_completed(client_for):
    owner = UserFactory()
    a, b = AssistantFactory(owner=owner), AssistantFactory(owner=owner)
    chain = make_chain(seed=a, involved=[a, b], max_steps=1)
    body = {"reflection_notes": "r", "memory_snapshot": {}, "belief_delta": 0.1}
    url = f"/api/v1/train/chains/{chain.pk}/step/"
    assert client_for(owner).post(url, body, format="json").status_code == 201
    assert SwarmTrainingChain.objects.get(pk=chain.pk).status == "completed"
    stranger = client_for(UserFactory())
    r = stranger.post(url, body, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_turn"]
    r = client_for(owner).post(url, body, format="json")
    assert (r.status_code, error_codes(r)) == (409, ["chain_completed"])
    assert AssistantReflectionChain.objects.filter(chain=chain).count() == 1


def test_a_request_aborted_mid_handler_releases_the_key(other_client, other_assistant, monkeypatch):
    """A worker timeout (gunicorn raises SystemExit in the worker) also frees the key."""
    listing = ListingFactory(token_cost_cents=1000)

    def aborted(**kwargs):
        raise SystemExit(1)

    monkeypatch.setattr(economy_services, "listing_buy", aborted)
    with pytest.raises(SystemExit):
        _buy(other_client, listing, other_assistant, "aborted")
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    r = _buy(other_client, listing, other_assistant, "aborted")
    assert r.status_code == 201, r.content
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 1
