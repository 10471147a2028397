"""Rituals and their ordered steps."""

from django.db import models

from .accounts import Assistant
from .prompts import Prompt


class Ritual(models.Model):
    owner = models.ForeignKey(Assistant, related_name="rituals", on_delete=models.CASCADE)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, default="")
    codex_clauses = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class RitualStep(models.Model):
    """One ordered step of a ritual: the prompt to run at ``position`` (0-based)."""

    ritual = models.ForeignKey(Ritual, related_name="steps", on_delete=models.CASCADE)
    position = models.PositiveIntegerField()
    prompt = models.ForeignKey(Prompt, related_name="ritual_steps", on_delete=models.PROTECT)

    class Meta:
        ordering = ["ritual", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["ritual", "position"], name="ritual_step_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ritual_id}#{self.position}"
