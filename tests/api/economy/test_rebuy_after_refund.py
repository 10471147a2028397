"""A buyer adopts a listing once, whatever happens to its licences: buying again after a refund,
when it had injected the prompt under the refunded licence, is a purchase like any other (it
was a 500, the adoption's unique index)."""

from economy.models import ListingAdoption, PromptTokenListing, Purchase
from tests.api.economy.purchases_helpers import MARKET, buy, refund


def test_rebuy_after_a_refund_of_a_licence_used_to_inject(
    owner_client, other_client, sold, listing, other_assistant
):
    # The listing is replaced by a new one; the buyer injects the prompt through it.
    assert owner_client.post(f"{MARKET}{listing.pk}/delist/").status_code == 200
    r = owner_client.post(
        MARKET, {"prompt": listing.prompt_id, "token_cost": "3.00"}, format="json"
    )
    assert r.status_code == 201, r.content
    relisted = PromptTokenListing.objects.get(pk=r.json()["id"])
    r = other_client.post(
        f"{MARKET}{relisted.pk}/inject/", {"assistant": other_assistant.pk}, format="json"
    )
    assert r.status_code == 201, r.content
    relisted.refresh_from_db()
    assert relisted.adopter_count == 1
    # The seller refunds the first purchase; the buyer buys the new listing.
    assert refund(owner_client, sold.pk).status_code == 200
    r = buy(other_client, relisted, other_assistant)
    assert r.status_code == 201, r.content
    assert Purchase.objects.get(pk=r.json()["id"]).listing_id == relisted.pk
    # Still one adoption of the new listing (the injection), counted once.
    relisted.refresh_from_db()
    assert relisted.adopter_count == 1
    assert list(
        ListingAdoption.objects.filter(listing=relisted).values_list("assistant_id", "kind")
    ) == [(other_assistant.pk, "injection")]
