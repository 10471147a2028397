"""Invariant checks shared by the economy tests."""

from django.db.models import Sum

from core.models import PromptLicence
from economy.models import LedgerEntry, Wallet


def assert_ledger_invariants() -> None:
    """Sum of balances == sum of grants; no negative balance; each wallet's balance == its
    credits - debits; at most one licence per (assistant, prompt)."""
    grants = (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.GRANT).aggregate(s=Sum("amount_cents"))[
            "s"
        ]
        or 0
    )
    balances = Wallet.objects.aggregate(s=Sum("balance_cents"))["s"] or 0
    assert balances == grants
    for wallet in Wallet.objects.all():
        assert wallet.balance_cents >= 0
        credits = wallet.credits.aggregate(s=Sum("amount_cents"))["s"] or 0
        debits = wallet.debits.aggregate(s=Sum("amount_cents"))["s"] or 0
        assert wallet.balance_cents == credits - debits, wallet
    pairs = list(PromptLicence.objects.values_list("assistant_id", "prompt_id"))
    assert len(pairs) == len(set(pairs))
