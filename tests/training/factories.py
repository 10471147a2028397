"""Factories for the training domain; chains go through the service (explicit positions)."""

from training import services
from training.models import SwarmTrainingChain


def make_chain(*, seed, involved, title: str = "Dream relay", max_steps=None) -> SwarmTrainingChain:
    return services.chain_create(
        seed_assistant=seed,
        chain_title=title,
        involved_assistant_ids=[a.pk for a in involved],
        max_steps=max_steps,
    )
