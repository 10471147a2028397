"""The prompt market: listings, their adopters, purchases and injections."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import Assistant, Prompt, PromptLicence, PromptVersion

from .ledger import LedgerEntry


class PromptTokenListing(models.Model):
    """A prompt offered on the market. At most one active listing per prompt."""

    prompt = models.ForeignKey(Prompt, related_name="listings", on_delete=models.PROTECT)
    token_cost_cents = models.BigIntegerField(default=0)
    symbolic_tag_weight = models.FloatField(default=0.0)
    codex_usage_score = models.FloatField(default=0.0)
    is_active = models.BooleanField(default=True)
    # Distinct assistants that bought or injected it (ListingAdoption rows), kept in the same
    # transaction as the adoption so lists never count per row.
    adopter_count = models.PositiveIntegerField(default=0, editable=False)
    listed_at = models.DateTimeField(auto_now_add=True)
    delisted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["prompt"], condition=Q(is_active=True), name="listing_one_active_per_prompt"
            ),
            models.CheckConstraint(
                condition=Q(token_cost_cents__gte=0), name="listing_cost_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "-id"], name="listing_active_idx"),
            # The market's orderings over active listings (ties broken by -id).
            models.Index(
                fields=["token_cost_cents", "-id"],
                condition=Q(is_active=True),
                name="listing_active_cost_idx",
            ),
            models.Index(
                fields=["adopter_count", "-id"],
                condition=Q(is_active=True),
                name="listing_active_adopt_idx",
            ),
            models.Index(
                fields=["listed_at", "-id"],
                condition=Q(is_active=True),
                name="listing_active_listed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"listing {self.pk} of prompt {self.prompt_id}"


class ListingAdoption(models.Model):
    """One assistant that bought or injected a listing's prompt. Distinct per (listing, assistant),
    so ``PromptTokenListing.adopter_count`` counts each adopter once."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "purchase"
        INJECTION = "injection", "injection"

    listing = models.ForeignKey(
        PromptTokenListing, related_name="adoptions", on_delete=models.CASCADE
    )
    assistant = models.ForeignKey(
        Assistant, related_name="listing_adoptions", on_delete=models.CASCADE
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "assistant"], name="adoption_unique_listing_assistant"
            )
        ]

    def __str__(self) -> str:
        return f"adoption {self.assistant_id}:{self.listing_id}"


class Purchase(models.Model):
    """One sale of a listing's prompt: what was sold (the ``version``), for how much, and the
    licence it gave. Written by ``listing_buy`` in its transaction; a refund moves it to
    ``refunded`` with its ``refund_entry`` (none for a free purchase: nothing to return)."""

    class State(models.TextChoices):
        COMPLETED = "completed", "completed"
        REFUNDED = "refunded", "refunded"

    buyer = models.ForeignKey(Assistant, related_name="purchases", on_delete=models.PROTECT)
    seller = models.ForeignKey(Assistant, related_name="sales", on_delete=models.PROTECT)
    listing = models.ForeignKey(
        PromptTokenListing, related_name="purchases", on_delete=models.PROTECT
    )
    prompt = models.ForeignKey(Prompt, related_name="purchases", on_delete=models.PROTECT)
    version = models.ForeignKey(PromptVersion, related_name="purchases", on_delete=models.PROTECT)
    price_cents = models.BigIntegerField()
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        null=True,
        blank=True,
        related_name="purchase",
        on_delete=models.PROTECT,
    )
    licence = models.ForeignKey(PromptLicence, related_name="purchases", on_delete=models.PROTECT)
    state = models.CharField(max_length=16, choices=State.choices, default=State.COMPLETED)
    created_at = models.DateTimeField(default=timezone.now)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_entry = models.OneToOneField(
        LedgerEntry,
        null=True,
        blank=True,
        related_name="refunded_purchase",
        on_delete=models.PROTECT,
    )
    refund_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_cents__gte=0), name="purchase_price_non_negative"
            ),
            # A licence is live through at most one purchase; a refunded one may be bought again.
            models.UniqueConstraint(
                fields=["licence"],
                condition=Q(state="completed"),
                name="purchase_one_completed_per_licence",
            ),
            models.CheckConstraint(
                condition=Q(state="completed", refunded_at__isnull=True, refund_entry__isnull=True)
                | Q(state="refunded", refunded_at__isnull=False),
                name="purchase_refund_state_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="purchase_buyer_idx"),
            models.Index(fields=["seller", "-id"], name="purchase_seller_idx"),
        ]

    def __str__(self) -> str:
        return f"purchase {self.pk} ({self.state})"


class PromptInjection(models.Model):
    """A prompt installed in an assistant's working set. One per (assistant, prompt)."""

    assistant = models.ForeignKey(Assistant, related_name="injections", on_delete=models.CASCADE)
    prompt = models.ForeignKey(Prompt, related_name="injections", on_delete=models.CASCADE)
    injected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "prompt"], name="injection_unique_assistant_prompt"
            )
        ]

    def __str__(self) -> str:
        return f"injection {self.assistant_id}:{self.prompt_id}"
