"""What a seed run makes: the named sizes (``tiny`` for tests up to ``large``, each count
overridable), the tags and codex clauses the rows draw from, how many assistants a user runs,
the error a run that cannot go as asked raises, and the look-up of a model that an app may not
have (so the seeder runs on any stage of the schema)."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

TAGS = [
    "myth", "dream", "ritual", "ledger", "care", "memory", "sea", "mirror", "oracle", "thread",
    "honesty", "doubt", "vision", "echo", "root", "storm", "quiet", "spiral", "lantern", "gate",
]  # fmt: skip
RATING_TAGS = ["clear", "deep", "kind", "sharp", "strange", "useful", "warm", "wild"]
CLAUSES = {
    "honesty": "An assistant tells the truth about its own uncertainty.",
    "care": "Prompts must not be used to harm the one who asks.",
    "memory": "What is remembered is remembered faithfully.",
    "consent": "No belief is implanted without the holder's consent.",
}


@dataclass(frozen=True)
class Sizes:
    users: int
    prompts: int
    ratings: int
    hot_ratings: int
    purchases: int
    chains: int
    reflections: int
    hot_reflections: int
    listing_share: float = 0.25
    mutation_share: float = 0.02
    fork_share: float = 0.05


SIZES = {
    "tiny": Sizes(
        users=40,
        prompts=400,
        ratings=2_000,
        hot_ratings=60,
        purchases=300,
        chains=10,
        reflections=200,
        hot_reflections=50,
    ),
    "small": Sizes(
        users=1_000,
        prompts=20_000,
        ratings=100_000,
        hot_ratings=1_000,
        purchases=10_000,
        chains=200,
        reflections=10_000,
        hot_reflections=1_000,
    ),
    "medium": Sizes(
        users=5_000,
        prompts=200_000,
        ratings=1_000_000,
        hot_ratings=1_000,
        purchases=50_000,
        chains=1_000,
        reflections=50_000,
        hot_reflections=1_000,
    ),
    "large": Sizes(
        users=25_000,
        prompts=1_000_000,
        ratings=5_000_000,
        hot_ratings=1_000,
        purchases=250_000,
        chains=5_000,
        reflections=250_000,
        hot_reflections=1_000,
    ),
}
# A swarm: each user runs one to three assistants (two on average).
ASSISTANTS_PER_USER = (1, 2, 3, 2)


class SeedError(Exception):
    """A seed that cannot run as asked (a database that is not empty, a size too big for it)."""


def optional_model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None
