"""Swarm training (phase Ω.5.0): chains of reflections across assistants, and the rings that
link a prompt to its mutations with the belief delta each carried."""

from django.db import models
from django.db.models import Q

from core.models import Assistant, Prompt


class SwarmTrainingChain(models.Model):
    """Assistants take turns reflecting: the turn is ``involved[current_step mod n]``.

    ``current_step``, ``belief_delta_tracker`` (``{assistant_id: cumulative delta}``),
    ``codex_tension`` and ``status`` are kept by ``training.services.chain_step`` alone.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"

    chain_title = models.CharField(max_length=150)
    seed_assistant = models.ForeignKey(
        Assistant, related_name="seeded_chains", on_delete=models.CASCADE
    )
    involved_assistants: models.ManyToManyField = models.ManyToManyField(
        Assistant, through="ChainParticipant", related_name="training_chains"
    )
    current_step = models.PositiveIntegerField(default=0, editable=False)
    max_steps = models.PositiveIntegerField(null=True, blank=True)
    belief_delta_tracker = models.JSONField(default=dict, blank=True, editable=False)
    codex_tension = models.FloatField(default=0.0, editable=False)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="chain_status_idx"),
            models.Index(fields=["seed_assistant", "-id"], name="chain_seed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_steps__isnull=True) | Q(max_steps__gte=1),
                name="chain_max_steps_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.chain_title


class ChainParticipant(models.Model):
    """One involved assistant of a chain at its explicit ``position`` (0-based turn order)."""

    chain = models.ForeignKey(
        SwarmTrainingChain, related_name="participants", on_delete=models.CASCADE
    )
    assistant = models.ForeignKey(
        Assistant, related_name="chain_participations", on_delete=models.CASCADE
    )
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["chain", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "position"], name="chain_participant_position"
            ),
            models.UniqueConstraint(
                fields=["chain", "assistant"], name="chain_participant_assistant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id}#{self.position}: {self.assistant_id}"


class PromptMutationRing(models.Model):
    """``mutated_prompt`` was made from ``parent_prompt``; ``mutation_step`` counts mutations from
    the last non-mutated ancestor (1 from a root). A prompt is born of at most one mutation."""

    parent_prompt = models.ForeignKey(
        Prompt, related_name="mutation_rings", on_delete=models.PROTECT
    )
    mutated_prompt = models.ForeignKey(
        Prompt, related_name="mutated_versions", on_delete=models.CASCADE
    )
    # The parent's version the mutation was made from (null for rings older than versions).
    parent_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    belief_delta = models.FloatField()
    mutation_step = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["parent_prompt", "id"], name="ring_parent_idx")]
        constraints = [
            models.UniqueConstraint(fields=["mutated_prompt"], name="ring_one_per_mutated_prompt"),
            models.CheckConstraint(
                condition=Q(belief_delta__gte=-1) & Q(belief_delta__lte=1),
                name="ring_belief_delta_range",
            ),
            models.CheckConstraint(condition=Q(mutation_step__gte=1), name="ring_step_positive"),
            models.CheckConstraint(
                condition=~Q(parent_prompt=models.F("mutated_prompt")),
                name="ring_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent_prompt_id} → {self.mutated_prompt_id} (step {self.mutation_step})"


class AssistantReflectionChain(models.Model):
    """One step of a chain: the turn's assistant, its reflection, memory snapshot, belief delta
    and the mutation it made, if any. ``step`` is unique per chain (a database constraint)."""

    chain = models.ForeignKey(
        SwarmTrainingChain, related_name="reflections", on_delete=models.CASCADE
    )
    step = models.PositiveIntegerField()
    assistant = models.ForeignKey(Assistant, related_name="reflections", on_delete=models.CASCADE)
    reflection_notes = models.TextField()
    memory_snapshot = models.JSONField(default=dict)
    belief_delta = models.FloatField()
    mutation = models.OneToOneField(
        PromptMutationRing,
        null=True,
        blank=True,
        related_name="reflection",
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chain", "step"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "step"], name="reflection_unique_step"),
            models.CheckConstraint(
                condition=Q(belief_delta__gte=-1) & Q(belief_delta__lte=1),
                name="reflection_belief_delta_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id} step {self.step}"
