"""Ratings of prompts."""

from django.db import models

from core.models import Assistant, Prompt

from .constraints import unit_interval


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
            unit_interval("ritual_effectiveness", "rating_effectiveness_unit"),
            unit_interval("assistant_approval", "rating_approval_unit"),
        ]
        indexes = [models.Index(fields=["prompt", "-id"], name="rating_prompt_idx")]

    def __str__(self) -> str:
        return f"rating {self.rater_id}:{self.prompt_id} = {self.trust_score:.3f}"
