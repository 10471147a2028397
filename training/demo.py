"""Demo data for the training domain: a chain with a few steps (one with a mutation) and a
stand-alone mutation. Idempotent: it does nothing when the demo chain exists."""

from typing import Any

from django.db import transaction

from core.models import Assistant, Prompt

from . import services
from .models import PromptMutationRing, SwarmTrainingChain

CHAIN_TITLE = "Tide of dreams relay"


@transaction.atomic
def seed(
    *, users, assistants: dict[tuple[str, str], Assistant], prompts: dict[str, Prompt]
) -> None:
    oracle = assistants[("alice", "Oracle")]
    scribe = assistants[("bob", "Scribe")]
    weaver = assistants[("carol", "Weaver")]
    if not SwarmTrainingChain.objects.filter(
        chain_title=CHAIN_TITLE, seed_assistant=oracle
    ).exists():
        chain = services.chain_create(
            seed_assistant=oracle,
            chain_title=CHAIN_TITLE,
            involved_assistant_ids=[oracle.pk, scribe.pk, weaver.pk],
            max_steps=6,
        )
        steps: list[tuple[str, dict[str, Any], float, dict[str, Any] | None]] = [
            ("The sea returned in the dream, calmer.", {"dream": "sea", "mood": "calm"}, 0.4, None),
            (
                "Recorded the dream as a ledger of belief.",
                {"ledger": ["sea", "calm"], "entries": 2},
                -0.2,
                {
                    "parent_prompt": prompts["Sea of dreams"],
                    "body": "Describe the sea you dreamt, then what it owed you.",
                },
            ),
            (
                "Wove the ledger into a myth of tides.",
                {"myth": "tides", "moral": "patience"},
                0.1,
                None,
            ),
        ]
        turns = [oracle, scribe, weaver]
        for i, (notes, snapshot, delta, mutation) in enumerate(steps):
            services.chain_step(
                chain_id=chain.pk,
                user=turns[i % len(turns)].owner,  # each turn by its own owner
                reflection_notes=notes,
                memory_snapshot=snapshot,
                belief_delta=delta,
                mutation=mutation,
            )
    doubt = prompts["Mirror of doubt"]
    if not PromptMutationRing.objects.filter(parent_prompt=doubt).exists():
        services.prompt_mutate(
            prompt=doubt,
            assistant=oracle,
            body="List three things you are unsure of, and one you are sure of.",
            title="Mirror of doubt, refracted",
            belief_delta=0.3,
        )
