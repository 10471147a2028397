"""Mentorship and curriculum markets (phase Ω.5.0).

Derived numbers (``mentor_score``, ``adopter_count``, ``exported_json``) are written only by
``mentorship.services``; clients never set them.
"""

from django.db import models
from django.db.models import Q

from core.models import Assistant, Prompt, Ritual


class AssistantMentorTag(models.Model):
    """An assistant that offers prompt mentorship. Deleting the tag is opting out; the logs stay.

    ``mentor_score`` = Σ trust_delta / (n + 3) over the assistant's mentorships with feedback,
    recomputed by the service whenever feedback changes (or the tag is created again).
    """

    assistant = models.OneToOneField(Assistant, related_name="mentor_tag", on_delete=models.CASCADE)
    mentor_score = models.FloatField(default=0.0, editable=False)
    feedback_count = models.PositiveIntegerField(default=0, editable=False)
    mentorship_notes = models.TextField(blank=True, default="")
    offered_prompts = models.ManyToManyField(Prompt, related_name="offering_mentor_tags")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["-mentor_score", "-id"], name="mentor_tag_score_idx")]

    def __str__(self) -> str:
        return f"mentor tag of {self.assistant_id}"


class PromptMentorshipLog(models.Model):
    """A prompt set a mentee adopted from a mentor, with mutation notes and trust feedback.

    ``trust_delta`` is the mentee's feedback in [-1, 1]; ``feedback_at`` is null until it is
    given (only mentorships with feedback count towards the mentor's score).
    """

    mentor = models.ForeignKey(
        Assistant, related_name="mentorships_given", on_delete=models.CASCADE
    )
    mentee = models.ForeignKey(
        Assistant, related_name="mentorships_received", on_delete=models.CASCADE
    )
    prompt_set = models.ManyToManyField(Prompt, related_name="mentorship_logs")
    mutation_notes = models.TextField(blank=True, default="")
    trust_delta = models.FloatField(default=0.0)
    feedback_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["mentor", "-id"], name="mentorship_mentor_idx"),
            models.Index(fields=["mentee", "-id"], name="mentorship_mentee_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(trust_delta__gte=-1) & Q(trust_delta__lte=1),
                name="mentorship_trust_delta_range",
            )
        ]

    def __str__(self) -> str:
        return f"mentorship {self.mentor_id}->{self.mentee_id}"


class RitualTagBundle(models.Model):
    """A tag over a group of rituals, for market discovery and export.

    ``adoption_metric`` (distinct adopters of curricula containing it / all assistants) is
    derived at read time by ``mentorship.selectors``; it is not stored.
    """

    owner = models.ForeignKey(Assistant, related_name="ritual_bundles", on_delete=models.CASCADE)
    tag_name = models.CharField(max_length=50, db_index=True)
    rituals = models.ManyToManyField(Ritual, related_name="tag_bundles")
    codex_clauses = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.tag_name


class PromptCurriculumVault(models.Model):
    """A ritual-based curriculum on the market.

    ``adopter_count`` is the number of distinct adopters (one CurriculumAdoption each), kept in
    the adoption's transaction; ``adoption_rate`` = adopter_count / all assistants is derived
    from it. ``exported_json`` is the server's snapshot of bundles, rituals and prompt steps.
    """

    curator = models.ForeignKey(Assistant, related_name="curricula", on_delete=models.CASCADE)
    curriculum_title = models.CharField(max_length=150)
    ritual_tags = models.ManyToManyField(RitualTagBundle, related_name="curricula", blank=True)
    codex_alignment = models.JSONField(default=dict, blank=True)
    token_cost_cents = models.BigIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    adopter_count = models.PositiveIntegerField(default=0, editable=False)
    exported_json = models.JSONField(default=dict, editable=False)
    cloned_from = models.ForeignKey(
        "self", null=True, blank=True, related_name="clones", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["curator", "-id"], name="curriculum_curator_idx"),
            models.Index(fields=["-adopter_count", "-id"], name="curriculum_adoption_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(token_cost_cents__gte=0), name="curriculum_cost_non_negative"
            )
        ]

    def __str__(self) -> str:
        return self.curriculum_title


class CurriculumAdoption(models.Model):
    """One assistant adopted one curriculum (bought, cloned or bartered). One per pair."""

    class Source(models.TextChoices):
        PURCHASE = "purchase", "purchase"
        CLONE = "clone", "clone"
        BARTER = "barter", "barter"

    curriculum = models.ForeignKey(
        PromptCurriculumVault, related_name="adoptions", on_delete=models.PROTECT
    )
    assistant = models.ForeignKey(
        Assistant, related_name="curriculum_adoptions", on_delete=models.CASCADE
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["curriculum", "assistant"], name="adoption_unique_curriculum_assistant"
            )
        ]

    def __str__(self) -> str:
        return f"adoption {self.assistant_id}:{self.curriculum_id}"


class BarterOffer(models.Model):
    """An offer to swap curricula: ``offerer`` (curator of ``offered_curriculum``) asks the
    curator of ``target_curriculum``. Only a pending offer can change, by one conditional UPDATE.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        ACCEPTED = "accepted", "accepted"
        DECLINED = "declined", "declined"
        CANCELLED = "cancelled", "cancelled"

    offerer = models.ForeignKey(Assistant, related_name="barter_offers", on_delete=models.CASCADE)
    offered_curriculum = models.ForeignKey(
        PromptCurriculumVault, related_name="barters_offering", on_delete=models.CASCADE
    )
    target_curriculum = models.ForeignKey(
        PromptCurriculumVault, related_name="barters_targeting", on_delete=models.CASCADE
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Each curriculum's ``curriculum_state_marker`` when the offer was made: accept re-checks it.
    offered_state = models.CharField(max_length=64, default="", editable=False)
    target_state = models.CharField(max_length=64, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="barter_status_idx")]

    def __str__(self) -> str:
        return f"barter {self.pk} ({self.status})"
