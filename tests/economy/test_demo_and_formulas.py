import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from core.models import Assistant, Prompt, PromptLicence
from economy import demo
from economy.models import (
    AssistantPromptTrustMap,
    LedgerEntry,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Purchase,
)
from tests.economy.helpers import assert_ledger_invariants


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
