import pytest

from core.models import Prompt
from economy.models import (
    PromptTokenListing,
)
from tests.api.economy.market_helpers import URL, post
from tests.conftest import assert_list_queries_constant, error_codes
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db


# --- create / update / delist ---------------------------------------------------------------


def test_create_listing_tracks_cost_and_adoption(owner_client, assistant):
    """Seed testing goal: token listings track cost and adoption metrics."""
    p = PromptFactory(author=assistant)
    r = owner_client.post(
        URL,
        {
            "prompt": p.id,
            "token_cost": "12.50",
            "symbolic_tag_weight": 0.3,
            "codex_usage_score": 0.9,
            "swarm_adoption_score": 1.0,
            "adopter_count": 50,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["token_cost"] == "12.50"
    assert body["seller"] == assistant.id
    assert body["swarm_adoption_score"] == 0.0
    assert body["adopter_count"] == 0
    assert body["prompt"]["id"] == p.id
    assert body["prompt"]["body"] == p.body  # the seller sees it
    listing = PromptTokenListing.objects.get()
    assert (listing.token_cost_cents, listing.symbolic_tag_weight, listing.codex_usage_score) == (
        1250,
        0.3,
        0.9,
    )
    assert listing.adopter_count == 0


def test_create_denials_and_bad_input(anon_client, owner_client, other_client, assistant):
    p = PromptFactory(author=assistant)
    assert (
        anon_client.post(URL, {"prompt": p.id, "token_cost": "1.00"}, format="json").status_code
        == 401
    )
    r = other_client.post(URL, {"prompt": p.id, "token_cost": "1.00"}, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    private = PromptFactory(author=assistant, is_public=False)
    r = other_client.post(URL, {"prompt": private.id, "token_cost": "1.00"}, format="json")
    assert r.status_code == 400
    assert error_codes(r) == ["does_not_exist"]
    r = owner_client.post(URL, {"prompt": private.id, "token_cost": "1.00"}, format="json")
    assert r.status_code == 400
    assert error_codes(r) == ["prompt_not_public"]
    for bad in (
        {"token_cost": "-1.00"},
        {"token_cost": "1.001"},
        {"token_cost": 1e20},
        {"token_cost": "1.00", "symbolic_tag_weight": 2},
        {"token_cost": "1.00", "codex_usage_score": -1},
        {"token_cost": "abc"},
        {},
    ):
        r = owner_client.post(URL, {"prompt": p.id, **bad}, format="json")
        assert r.status_code == 400, (bad, r.content)
    assert PromptTokenListing.objects.count() == 0


def test_one_active_listing_per_prompt_and_relisting_after_delist(owner_client, listing):
    r = owner_client.post(URL, {"prompt": listing.prompt_id, "token_cost": "1.00"}, format="json")
    assert r.status_code == 409
    assert error_codes(r) == ["already_listed"]
    assert post(owner_client, listing, "delist").status_code == 200
    r = owner_client.post(URL, {"prompt": listing.prompt_id, "token_cost": "1.00"}, format="json")
    assert r.status_code == 201
    assert PromptTokenListing.objects.filter(prompt=listing.prompt).count() == 2


def test_update_seller_only(owner_client, other_client, listing):
    r = owner_client.patch(f"{URL}{listing.id}/", {"token_cost": "3.00"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["token_cost"] == "3.00"
    r = other_client.patch(f"{URL}{listing.id}/", {"token_cost": "0.00"}, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    r = owner_client.patch(f"{URL}{listing.id}/", {"token_cost": "-3"}, format="json")
    assert r.status_code == 400
    r = owner_client.put(
        f"{URL}{listing.id}/", {"token_cost": "4.00", "symbolic_tag_weight": 1}, format="json"
    )
    assert r.status_code == 200
    listing.refresh_from_db()
    assert (listing.token_cost_cents, listing.symbolic_tag_weight, listing.codex_usage_score) == (
        400,
        1.0,
        0.0,
    )


def test_delist_keeps_history(anon_client, owner_client, other_client, listing):
    r = post(other_client, listing, "delist")
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    r = post(owner_client, listing, "delist")
    assert r.status_code == 200
    assert r.json()["is_active"] is False
    assert r.json()["delisted_at"]
    r = post(owner_client, listing, "delist")
    assert r.status_code == 409
    assert error_codes(r) == ["listing_inactive"]
    r = owner_client.patch(f"{URL}{listing.id}/", {"token_cost": "3.00"}, format="json")
    assert r.status_code == 409
    assert error_codes(r) == ["listing_inactive"]
    assert anon_client.get(f"{URL}{listing.id}/").status_code == 200
    assert anon_client.get(URL).json()["count"] == 0
    assert anon_client.get(URL + "?is_active=false").json()["count"] == 1
    assert PromptTokenListing.objects.filter(pk=listing.pk).exists()
    assert owner_client.delete(f"{URL}{listing.id}/").status_code == 405


# --- list / detail --------------------------------------------------------------------------


def test_list_filters_and_orderings(anon_client, assistant, other_assistant):
    a = ListingFactory(
        prompt=PromptFactory(author=assistant, title="Sea dream", tags=["sea"]),
        token_cost_cents=100,
    )
    b = ListingFactory(
        prompt=PromptFactory(author=other_assistant, title="Fire song", tags=["fire"]),
        token_cost_cents=900,
    )
    c = ListingFactory(
        prompt=PromptFactory(author=other_assistant, title="Free air", tags=["air", "sea"]),
        token_cost_cents=0,
    )
    Prompt.objects.filter(pk=b.prompt_id).update(trust_score=0.9)
    Prompt.objects.filter(pk=c.prompt_id).update(trust_score=0.2)
    PromptTokenListing.objects.filter(pk=c.pk).update(adopter_count=5)
    PromptTokenListing.objects.filter(pk=a.pk).update(adopter_count=2)

    def ids(q):
        r = anon_client.get(f"{URL}?{q}")
        assert r.status_code == 200, r.content
        return [x["id"] for x in r.json()["results"]]

    assert sorted(ids(f"seller={other_assistant.id}")) == sorted([b.id, c.id])
    assert sorted(ids("tag=sea")) == sorted([a.id, c.id])
    assert ids("min_cost=1.00&max_cost=9.00") == [b.id, a.id]
    assert ids("min_cost=0.01") == [b.id, a.id]
    assert ids("max_cost=0") == [c.id]
    assert ids("min_trust=0.6") == [b.id]
    assert ids("search=fire") == [b.id]
    assert ids("ordering=cost") == [c.id, a.id, b.id]
    assert ids("ordering=-cost") == [b.id, a.id, c.id]
    assert ids("ordering=-trust") == [b.id, a.id, c.id]
    assert ids("ordering=trust") == [c.id, a.id, b.id]
    assert ids("ordering=-adoption") == [c.id, a.id, b.id]
    assert ids("ordering=listed_at") == [a.id, b.id, c.id]
    assert ids("ordering=token_cost_cents") == [c.id, b.id, a.id]  # not whitelisted: default
    for bad in ("seller=abc", "min_cost=abc", "min_trust=x", f"seller={10**30}", "page_size=0"):
        assert anon_client.get(f"{URL}?{bad}").status_code == 400, bad


def test_list_hides_for_sale_bodies_and_private_prompts(
    anon_client, other_client, client_for, listing, assistant
):
    free = ListingFactory(
        prompt=PromptFactory(author=assistant, body="free body"), token_cost_cents=0
    )
    hidden = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=0)
    Prompt.objects.filter(pk=hidden.prompt_id).update(is_public=False)
    bodies = {x["id"]: x["prompt"]["body"] for x in anon_client.get(URL).json()["results"]}
    assert bodies == {listing.id: None, free.id: "free body"}
    assert anon_client.get(f"{URL}{hidden.id}/").status_code == 404
    licensee = LicenceFactory(prompt=listing.prompt).assistant
    assert (
        client_for(licensee.owner).get(f"{URL}{listing.id}/").json()["prompt"]["body"]
        == "secret body"
    )
    assert other_client.get(f"{URL}{listing.id}/").json()["prompt"]["body"] is None


def test_list_queries_constant(other_client, assistant):
    for i in range(4):
        ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=i * 100)
    assert assert_list_queries_constant(other_client, URL) <= 4
