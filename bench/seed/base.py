"""One seed run's state (sizes, random generator, clock, inserter, and the ids each domain
leaves for the next: the assistants and their owners, the prompts and their versions) and the
helpers every domain module uses: the next free id of a table, a moment in the last year, and
the progress lines."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TextIO

from django.db import models

from bench.seed.inserter import Inserter
from bench.seed.sizes import Sizes


class SeedRun:
    """The state one run shares between its domains (set by ``Seeder.run`` and the domain
    that makes the rows), and the helpers they use."""

    rng: random.Random
    sizes: Sizes
    now: datetime
    ins: Inserter
    owner: list[int]  # the owning user's id of assistant index i
    assistant_ids: list[int]
    a0: int  # the id of assistant index 0
    prompt_ids: list[int]
    author_of: list[int]  # the assistant index of prompt index i
    p0: int  # the id of prompt index 0
    v0: int  # the id of prompt index 0's version 1 (prompt p0 + i has v0 + i)
    hot_prompt_id: int
    hot_chain_id: int

    def __init__(self, *, stdout: TextIO):
        self.stdout = stdout

    def _write(self, line: str) -> None:
        self.stdout.write(line + "\n")

    def _next_id(self, model: type[models.Model]) -> int:
        return (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1

    def _when(self, frac: float) -> datetime:
        """A moment in the last year; ``frac`` 0 = a year ago, 1 = now."""
        return self.now - timedelta(seconds=int((1 - frac) * 365 * 86400))

    def _log(self, what: str) -> None:
        self._write(f"  .. {what}")
