"""Trust maps: an assistant's running trust in a prompt."""

from django.db import transaction

from core.models import Assistant, Prompt

from ..formulas import (
    dreamframe_volatility,
    trust_ema,
)
from ..models import (
    AssistantPromptTrustMap,
)


@transaction.atomic
def trust_observe(
    *,
    assistant: Assistant,
    prompt: Prompt,
    resonance: float,
    symbolic_compliance: float,
    mutation_bias: float,
) -> AssistantPromptTrustMap:
    """Record an observation of ``prompt`` by ``assistant``. The first observation sets the
    scores; later ones move each by ``trust_ema``; dreamframe_volatility follows
    ``dreamframe_volatility``; observation_count + 1. The row is locked while it moves."""
    row, _ = AssistantPromptTrustMap.objects.get_or_create(assistant=assistant, prompt=prompt)
    row = AssistantPromptTrustMap.objects.select_for_update().get(pk=row.pk)
    if row.observation_count == 0:
        row.resonance_score = resonance
        row.symbolic_compliance = symbolic_compliance
        row.mutation_bias = mutation_bias
        row.dreamframe_volatility = 0.0
    else:
        row.dreamframe_volatility = dreamframe_volatility(
            previous_volatility=row.dreamframe_volatility,
            previous_resonance=row.resonance_score,
            observed_resonance=resonance,
        )
        row.resonance_score = trust_ema(row.resonance_score, resonance)
        row.symbolic_compliance = trust_ema(row.symbolic_compliance, symbolic_compliance)
        row.mutation_bias = trust_ema(row.mutation_bias, mutation_bias)
    row.observation_count += 1
    row.save()
    return row
