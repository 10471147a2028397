"""Licences: who may read a for-sale body, fork it and rate it."""

from django.db import models

from .accounts import Assistant
from .prompts import Prompt, PromptVersion


class PromptLicence(models.Model):
    """Who may read a for-sale body, fork it and rate it. One per (assistant, prompt).

    Granted by economy and mentorship (purchase, mentorship, curriculum) at the prompt's newest
    ``version``; while ``active`` its holder reads that version and every later one."""

    class Source(models.TextChoices):
        PURCHASE = "purchase", "purchase"
        MENTORSHIP = "mentorship", "mentorship"
        CURRICULUM = "curriculum", "curriculum"
        GRANT = "grant", "grant"

    class State(models.TextChoices):
        ACTIVE = "active", "active"
        REFUNDED = "refunded", "refunded"

    assistant = models.ForeignKey(Assistant, related_name="licences", on_delete=models.CASCADE)
    prompt = models.ForeignKey(Prompt, related_name="licences", on_delete=models.PROTECT)
    version = models.ForeignKey(PromptVersion, related_name="licences", on_delete=models.PROTECT)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PURCHASE)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Moved from economy with its data: the table keeps its name.
        db_table = "economy_promptlicence"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "prompt"], name="licence_unique_assistant_prompt"
            )
        ]

    def __str__(self) -> str:
        return f"licence {self.assistant_id}:{self.prompt_id}"
