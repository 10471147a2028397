"""Marketplace vaults: signed exports of prompts."""

from django.db import models

from core.models import Assistant, Prompt


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
