"""Wallets and the append-only ledger."""

from django.db import models
from django.db.models import Q

from core.models import Assistant


class Wallet(models.Model):
    """An assistant's tokens, in integer hundredths. The database refuses a negative balance."""

    assistant = models.OneToOneField(Assistant, related_name="wallet", on_delete=models.CASCADE)
    balance_cents = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0), name="wallet_balance_non_negative"
            )
        ]

    def __str__(self) -> str:
        return f"wallet of {self.assistant_id}"


class LedgerEntry(models.Model):
    """An immutable movement of tokens. Never updated or deleted (see ``save``/``delete``)."""

    class Kind(models.TextChoices):
        GRANT = "grant", "grant"
        PROMPT_PURCHASE = "prompt_purchase", "prompt purchase"
        CURRICULUM_PURCHASE = "curriculum_purchase", "curriculum purchase"
        REFUND = "refund", "refund"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    payer = models.ForeignKey(
        Wallet, null=True, blank=True, related_name="debits", on_delete=models.PROTECT
    )
    payee = models.ForeignKey(
        Wallet, null=True, blank=True, related_name="credits", on_delete=models.PROTECT
    )
    amount_cents = models.BigIntegerField()
    reference = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=Q(payer__isnull=False) | Q(payee__isnull=False),
                name="ledger_has_a_party",
            ),
        ]
        indexes = [
            models.Index(fields=["payer", "-id"], name="ledger_payer_idx"),
            models.Index(fields=["payee", "-id"], name="ledger_payee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents}c {self.payer_id}->{self.payee_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are immutable")
