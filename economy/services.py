"""Writes of the economy: wallets and the ledger. Each function states the rule it enforces."""

from django.conf import settings
from django.db import transaction
from django.db.models import F

from core.models import Assistant

from .exceptions import InsufficientFunds
from .models import LedgerEntry, Wallet
from .money import to_cents


def grant_cents() -> int:
    return to_cents(str(settings.TOKEN_GRANT))


@transaction.atomic
def wallet_create_with_grant(*, assistant: Assistant) -> Wallet:
    """Every assistant gets one wallet holding TOKEN_GRANT, recorded as a ``grant`` entry."""
    amount = grant_cents()
    wallet = Wallet.objects.create(assistant=assistant, balance_cents=amount)
    if amount > 0:
        LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.GRANT,
            payer=None,
            payee=wallet,
            amount_cents=amount,
            reference=f"assistant:{assistant.pk}",
        )
    return wallet


@transaction.atomic
def ledger_transfer(
    *, payer: Wallet | int, payee: Wallet | int, amount_cents: int, kind: str, reference: str
) -> LedgerEntry:
    """Move ``amount_cents`` from payer to payee and record it, all or nothing.

    The debit is one conditional UPDATE (``balance >= amount``), so two concurrent purchases can
    never both spend the same tokens: the loser updates no row and gets ``insufficient_funds``.
    A zero amount records nothing and returns an unsaved entry.
    """
    payer_id = payer if isinstance(payer, int) else payer.pk
    payee_id = payee if isinstance(payee, int) else payee.pk
    if amount_cents < 0:
        raise ValueError("amount must be >= 0")
    if amount_cents == 0:
        return LedgerEntry(
            kind=kind, payer_id=payer_id, payee_id=payee_id, amount_cents=0, reference=reference
        )
    debited = Wallet.objects.filter(pk=payer_id, balance_cents__gte=amount_cents).update(
        balance_cents=F("balance_cents") - amount_cents
    )
    if not debited:
        raise InsufficientFunds()
    Wallet.objects.filter(pk=payee_id).update(balance_cents=F("balance_cents") + amount_cents)
    return LedgerEntry.objects.create(
        kind=kind,
        payer_id=payer_id,
        payee_id=payee_id,
        amount_cents=amount_cents,
        reference=reference,
    )
