"""The prompt access rules of core.access, driven through the API: who sees a prompt, its body,
and who may use it, with the market facts economy keeps on the prompt."""

import pytest

from core.models import Prompt, PromptLicence
from tests.conftest import error_codes
from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db

MARKET = "/api/v1/market/prompts/"


def flags(prompt) -> tuple[bool, bool]:
    p = Prompt.objects.get(pk=prompt.pk)
    return p.is_listed, p.is_for_sale


def test_listing_services_keep_the_prompts_market_facts(owner_client, assistant):
    p = PromptFactory(author=assistant)
    assert flags(p) == (False, False)
    r = owner_client.post(MARKET, {"prompt": p.id, "token_cost": "2.00"}, format="json")
    assert r.status_code == 201, r.content
    assert flags(p) == (True, True)
    listing = r.json()["id"]
    r = owner_client.patch(f"{MARKET}{listing}/", {"token_cost": "0.00"}, format="json")
    assert r.status_code == 200, r.content
    assert flags(p) == (True, False)
    r = owner_client.patch(f"{MARKET}{listing}/", {"token_cost": "1.00"}, format="json")
    assert flags(p) == (True, True)
    r = owner_client.post(f"{MARKET}{listing}/delist/", {}, format="json")
    assert r.status_code == 200
    assert flags(p) == (False, False)
    assert owner_client.get(f"/api/v1/prompts/{p.id}/").json()["is_for_sale"] is False


def bought(client, listing, buyer) -> None:
    r = client.post(f"{MARKET}{listing.id}/buy/", {"buyer": buyer.id}, format="json")
    assert r.status_code == 201, r.content


def test_licence_holder_keeps_reading_after_delist_and_private(
    owner_client, other_client, client_for, assistant, other_assistant
):
    p = PromptFactory(author=assistant, body="paid text")
    listing = ListingFactory(prompt=p, token_cost_cents=300)
    bought(other_client, listing, other_assistant)
    owner_client.post(f"{MARKET}{listing.id}/delist/", {}, format="json")
    r = owner_client.patch(f"/api/v1/prompts/{p.id}/", {"is_public": False}, format="json")
    assert r.status_code == 200, r.content
    url = f"/api/v1/prompts/{p.id}/"
    r = other_client.get(url)
    assert r.status_code == 200
    assert r.json()["body"] == "paid text"
    ids = [x["id"] for x in other_client.get("/api/v1/prompts/").json()["results"]]
    assert p.id in ids
    stranger = client_for(PromptFactory().author.owner)
    assert stranger.get(url).status_code == 404
    # The body may be used, too: a fork by the licence holder.
    r = other_client.post(f"{url}fork/", {"assistant": other_assistant.id}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["body"] == "paid text"


def test_refunded_licence_reads_and_uses_nothing(
    owner_client, other_client, assistant, other_assistant
):
    p = PromptFactory(author=assistant, body="paid text")
    listing = ListingFactory(prompt=p, token_cost_cents=300)
    bought(other_client, listing, other_assistant)
    PromptLicence.objects.filter(prompt=p).update(state=PromptLicence.State.REFUNDED)
    url = f"/api/v1/prompts/{p.id}/"
    assert other_client.get(url).json()["body"] is None
    market = other_client.get(f"{MARKET}{listing.id}/").json()
    assert market["prompt"]["body"] is None
    r = other_client.post(f"{url}fork/", {"assistant": other_assistant.id}, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_licensed"]
    assert Prompt.objects.filter(author=other_assistant).count() == 0
    # Once private, a refunded holder sees nothing at all.
    owner_client.post(f"{MARKET}{listing.id}/delist/", {}, format="json")
    owner_client.patch(url, {"is_public": False}, format="json")
    assert other_client.get(url).status_code == 404
