"""``Seeder``: one seed run in order (checks, the codex clauses, accounts, prompts, economy,
training) in one transaction, then the sequences moved past the explicit ids and the planner
statistics refreshed, and a summary of the rows per table."""

from __future__ import annotations

import random
import time
from dataclasses import fields, replace
from datetime import UTC, datetime

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from bench.seed.accounts import Accounts
from bench.seed.economy import Economy
from bench.seed.inserter import Inserter
from bench.seed.prompts import Prompts
from bench.seed.sizes import CLAUSES, SIZES, SeedError, Sizes
from bench.seed.training import Training


class Seeder(Accounts, Prompts, Economy, Training):
    """One seeding run: the swarm's ids and rows, built in memory and inserted in bulk."""

    def run(
        self,
        *,
        size: str = "small",
        seed: int = 42,
        batch: int = 5_000,
        reset: bool = False,
        append: bool = False,
        allow_large_sqlite: bool = False,
        verbosity: int = 1,
        **overrides: int | float | None,
    ) -> None:
        if size not in SIZES:
            raise SeedError(f"unknown size {size!r}: one of {', '.join(sorted(SIZES))}")
        unknown = set(overrides) - {f.name for f in fields(Sizes)}
        if unknown:
            raise SeedError(f"unknown counts: {', '.join(sorted(unknown))}")
        counts = {k: v for k, v in overrides.items() if v is not None}
        sizes = replace(SIZES[size], **counts)  # type: ignore[arg-type]
        if connection.vendor == "sqlite" and sizes.prompts > 300_000 and not allow_large_sqlite:
            raise SeedError("Sizes above medium need PostgreSQL (set DATABASE_URL).")
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        self.rng = random.Random(seed)
        self.sizes = sizes
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.ins = Inserter(batch=batch, now=self.now, verbose=verbosity > 1)
        started = time.monotonic()
        self._write(f"seed_scale {size} on {connection.vendor}: {sizes}")
        with transaction.atomic():
            if not append:
                self._check_empty()
            self._seed()
        self._finish()
        took = time.monotonic() - started
        for label, n in sorted(self.ins.counts.items()):
            self._write(f"  {label:40} {n:>10,}")
        self._write(f"seeded in {took:.1f}s")

    # --- helpers -------------------------------------------------------------------------------

    def _check_empty(self) -> None:
        from core.models import Prompt

        if Prompt.objects.exists():
            raise SeedError("The database already has prompts: use --reset or an empty one.")

    def _seed(self) -> None:
        from core.models import CodexClause

        for code, text in CLAUSES.items():
            CodexClause.objects.get_or_create(code=code, defaults={"text": text})
        self._accounts()
        listings = self._prompts()
        self._economy(listings)
        self._mutations()
        self._chains()

    def _finish(self) -> None:
        """Sequences past the explicit ids; planner statistics for the fresh tables."""
        touched = [apps.get_model(label) for label in self.ins.counts]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), touched):
                cursor.execute(sql)
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                for model in touched:
                    cursor.execute(
                        f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
                    )
            else:
                cursor.execute("ANALYZE")
