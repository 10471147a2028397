"""Trust maps: an assistant's running trust in a prompt."""

from django.db import models

from core.models import Assistant, Prompt

from .constraints import unit_interval


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
            unit_interval("resonance_score", "trust_map_resonance_unit"),
            unit_interval("symbolic_compliance", "trust_map_compliance_unit"),
            unit_interval("dreamframe_volatility", "trust_map_volatility_unit"),
            unit_interval("mutation_bias", "trust_map_mutation_unit"),
        ]

    def __str__(self) -> str:
        return f"trust {self.assistant_id}:{self.prompt_id}"
