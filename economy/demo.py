"""Economy demo data: listings, a purchase, a refunded purchase, ratings, a trust observation and a vault.

Idempotent: each step checks what exists first, so running it twice leaves one copy.
"""

from django.contrib.auth.models import User

from core.models import Assistant, Prompt, PromptLicence

from . import services
from .models import (
    AssistantPromptTrustMap,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Purchase,
)

LISTINGS = [
    ("Sea of dreams", 1250, 0.6, 0.8),
    ("Ledger of days", 500, 0.4, 0.7),
    ("Thread of myth", 0, 0.9, 0.2),
]


def seed(
    *,
    users: dict[str, User],
    assistants: dict[tuple[str, str], Assistant],
    prompts: dict[str, Prompt],
) -> None:
    oracle = assistants[("alice", "Oracle")]
    scribe = assistants[("bob", "Scribe")]
    weaver = assistants[("carol", "Weaver")]
    listings = {}
    for title, cost, weight, codex in LISTINGS:
        prompt = prompts[title]
        listing = PromptTokenListing.objects.filter(prompt=prompt, is_active=True).first()
        listings[title] = listing or services.listing_create(
            prompt=prompt,
            token_cost_cents=cost,
            symbolic_tag_weight=weight,
            codex_usage_score=codex,
        )
    if not PromptLicence.objects.filter(assistant=scribe, prompt=prompts["Sea of dreams"]).exists():
        services.listing_buy(listing=listings["Sea of dreams"], buyer=scribe)
        services.listing_inject(listing=listings["Sea of dreams"], assistant=scribe)
    if not Purchase.objects.filter(buyer=weaver, prompt=prompts["Ledger of days"]).exists():
        sale = services.listing_buy(listing=listings["Ledger of days"], buyer=weaver)
        services.purchase_refund(
            purchase=sale.purchase, by_seller=True, reason="Demo: the seller refunds a sale."
        )
    ratings = [
        (scribe, "Sea of dreams", 0.9, 0.8, ["vivid"], ["sea", "dream"]),
        (weaver, "Ledger of days", 0.6, 0.7, ["useful"], ["ledger"]),
        (oracle, "Thread of myth", 0.8, 0.9, ["moving"], ["myth"]),
    ]
    for rater, title, effectiveness, approval, user_tags, symbolic in ratings:
        if not PromptReputationScore.objects.filter(rater=rater, prompt=prompts[title]).exists():
            services.prompt_rate(
                prompt=prompts[title],
                rater=rater,
                ritual_effectiveness=effectiveness,
                assistant_approval=approval,
                user_rating_tags=user_tags,
                symbolic_tags=symbolic,
            )
    trust = AssistantPromptTrustMap.objects.filter(
        assistant=scribe, prompt=prompts["Sea of dreams"]
    ).first()
    if trust is None or trust.observation_count == 0:
        services.trust_observe(
            assistant=scribe,
            prompt=prompts["Sea of dreams"],
            resonance=0.85,
            symbolic_compliance=0.9,
            mutation_bias=0.2,
        )
    if not PromptMarketplaceVault.objects.filter(
        owner_assistant=oracle, name="Oracle's dreams"
    ).exists():
        services.vault_create(
            owner_assistant=oracle,
            name="Oracle's dreams",
            prompts=[prompts["Sea of dreams"], prompts["Mirror of doubt"]],
        )
