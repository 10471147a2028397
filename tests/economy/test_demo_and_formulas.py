import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from core.models import Assistant, Prompt, PromptLicence
from economy import demo, services
from economy.models import (
    AssistantPromptTrustMap,
    LedgerEntry,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Purchase,
)
from tests.economy.helpers import assert_ledger_invariants


def test_formulas():
    assert services.reputation_trust_score(ritual_effectiveness=1.0, assistant_approval=0.0) == 0.5
    assert services.bayesian_trust_score(0.0, 0) == 0.5
    assert services.bayesian_trust_score(3.0, 3) == pytest.approx((2.5 + 3) / 8)
    assert services.adopters_over_all_assistants(adopters=1, assistants=4) == 0.25
    assert services.adopters_over_all_assistants(adopters=0, assistants=0) == 0.0
    assert services.trust_ema(0.5, 1.0) == pytest.approx(0.65)
    assert services.trust_ema(1.0, 1.0) == 1.0
    assert services.dreamframe_volatility(
        previous_volatility=0.0, previous_resonance=0.2, observed_resonance=0.7
    ) == pytest.approx(0.15)


@pytest.mark.django_db
def test_demo_seed_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")  # core's data
    users = {u.username: u for u in User.objects.all()}
    assistants = {(a.owner.username, a.name): a for a in Assistant.objects.select_related("owner")}
    prompts = {p.title: p for p in Prompt.objects.all()}

    def counts():
        return tuple(
            m.objects.count()
            for m in (
                PromptTokenListing,
                PromptLicence,
                LedgerEntry,
                PromptReputationScore,
                AssistantPromptTrustMap,
                PromptMarketplaceVault,
                Purchase,
            )
        )

    demo.seed(users=users, assistants=assistants, prompts=prompts)
    first = counts()
    demo.seed(users=users, assistants=assistants, prompts=prompts)
    assert counts() == first
    assert first[0] == 3
    assert first[1] >= 1
    assert first[3] == 3
    assert first[4] == 1
    assert first[5] == 1
    assert AssistantPromptTrustMap.objects.get().observation_count == 1
    refunded = Purchase.objects.get(state="refunded")
    assert refunded.refund_entry.amount_cents == refunded.price_cents > 0
    assert Purchase.objects.filter(state="completed").exists()
    assert_ledger_invariants()
