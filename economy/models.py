from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import Assistant, Prompt, PromptLicence, PromptVersion


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


def _unit_interval(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0.0}) & Q(**{f"{field}__lte": 1.0}), name=name
    )


class PromptReputationScore(models.Model):
    """One rater's rating of a prompt. One per (rater, prompt): rating again replaces it.

    ``trust_score`` is the server's weighted sum of the two inputs (REPUTATION_WEIGHTS).
    """

    prompt = models.ForeignKey(Prompt, related_name="reputation_scores", on_delete=models.CASCADE)
    rater = models.ForeignKey(Assistant, related_name="ratings_given", on_delete=models.CASCADE)
    ritual_effectiveness = models.FloatField()
    assistant_approval = models.FloatField()
    user_rating_tags = models.JSONField(default=list, blank=True)
    symbolic_tags = models.JSONField(default=list, blank=True)
    trust_score = models.FloatField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["rater", "prompt"], name="rating_unique_rater_prompt"),
            _unit_interval("ritual_effectiveness", "rating_effectiveness_unit"),
            _unit_interval("assistant_approval", "rating_approval_unit"),
        ]
        indexes = [models.Index(fields=["prompt", "-id"], name="rating_prompt_idx")]

    def __str__(self) -> str:
        return f"rating {self.rater_id}:{self.prompt_id} = {self.trust_score:.3f}"


class AssistantPromptTrustMap(models.Model):
    """How far an assistant trusts a prompt, moved by observations (an EMA of each score)."""

    assistant = models.ForeignKey(Assistant, related_name="trust_maps", on_delete=models.CASCADE)
    prompt = models.ForeignKey(Prompt, related_name="trust_maps", on_delete=models.CASCADE)
    resonance_score = models.FloatField(default=0.5)
    symbolic_compliance = models.FloatField(default=0.5)
    dreamframe_volatility = models.FloatField(default=0.0)
    mutation_bias = models.FloatField(default=0.5)
    observation_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "prompt"], name="trust_map_unique_assistant_prompt"
            ),
            _unit_interval("resonance_score", "trust_map_resonance_unit"),
            _unit_interval("symbolic_compliance", "trust_map_compliance_unit"),
            _unit_interval("dreamframe_volatility", "trust_map_volatility_unit"),
            _unit_interval("mutation_bias", "trust_map_mutation_unit"),
        ]

    def __str__(self) -> str:
        return f"trust {self.assistant_id}:{self.prompt_id}"


class PromptMarketplaceVault(models.Model):
    """An owner's signed bundle of prompts. ``exported_json`` and ``symbolic_signature`` are
    written by the server (see ``economy.services.vault_create``), never by a client."""

    owner_assistant = models.ForeignKey(Assistant, related_name="vaults", on_delete=models.CASCADE)
    name = models.CharField(max_length=150, blank=True, default="")
    prompt_set = models.ManyToManyField(Prompt, related_name="vaults", blank=True)
    symbolic_signature = models.CharField(max_length=64, editable=False)
    exported_json = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"vault {self.pk} of {self.owner_assistant_id}"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for one request, per user, with the first response.

    Kept at least ``IDEMPOTENCY_KEY_TTL``; ``economy.services.idempotency_keys_purge`` removes
    older ones. In the database so every worker sees the same keys.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "in progress"
        COMPLETED = "completed", "completed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="idempotency_keys", on_delete=models.CASCADE
    )
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")
        ]

    def __str__(self) -> str:
        return f"idempotency {self.user_id}:{self.key}"
