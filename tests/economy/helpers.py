"""Invariant checks shared by the economy tests."""

from django.db.models import Sum

from core.models import PromptLicence
from economy.models import LedgerEntry, Purchase, Wallet


def assert_ledger_invariants() -> None:
    """Sum of balances == sum of grants; no negative balance; each wallet's balance == its
    credits - debits; at most one licence per (assistant, prompt); every purchase has its one
    licence (active while completed, refunded once refunded); a refunded purchase has exactly one
    refund entry seller → buyer for its price (none when it was free)."""
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
    for purchase in Purchase.objects.select_related("licence", "ledger_entry", "refund_entry"):
        licence = purchase.licence
        assert (licence.assistant_id, licence.prompt_id) == (purchase.buyer_id, purchase.prompt_id)
        paid = purchase.ledger_entry.amount_cents if purchase.ledger_entry_id else 0
        assert paid == purchase.price_cents, purchase
        refunds = LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.REFUND, reference=f"purchase:{purchase.pk}"
        )
        if purchase.state == Purchase.State.COMPLETED:
            assert licence.state == "active", purchase
            assert not refunds.exists(), purchase
            continue
        assert purchase.refunded_at is not None
        if purchase.price_cents == 0:
            assert not refunds.exists()
            assert purchase.refund_entry is None
            continue
        (refund,) = refunds
        assert refund == purchase.refund_entry
        assert refund.amount_cents == purchase.price_cents
        assert (refund.payer.assistant_id, refund.payee.assistant_id) == (
            purchase.seller_id,
            purchase.buyer_id,
        )
        if not Purchase.objects.filter(licence=licence, state="completed").exists():
            assert licence.state == "refunded", purchase
