"""Fill a database fast for benchmarks: users, assistants with wallets and grants, prompts,
ratings, listings, purchases (ledger entries, licences, adoptions), mutation rings, training
chains with reflections. Rows go in with COPY on PostgreSQL and batched executemany on SQLite,
never through the API, and every derived number is written consistent with its rows:

- each wallet's balance = its credits - its debits, the sum of balances = the sum of grants;
- each prompt's ``rating_count``/``rating_sum``/``trust_score`` match its ratings
  (the Bayesian average ``(C*m + sum) / (C + n)`` of the settings);
- each listing's ``adopter_count`` = its adoptions; each chain's ``current_step``, tracker and
  ``codex_tension`` match its reflections.

Run it as ``python -m bench.seed_scale --size small`` (with ``DJANGO_SETTINGS_MODULE`` and
``DATABASE_URL`` of the target), or call ``seed_scale(size=...)`` from Python. It lives beside
the benchmarks, not in an app, because it writes every app's tables; every derived number comes
from the apps' formulas modules. The run itself is the package ``bench.seed``, one module per
domain.

Sizes: ``--size small`` (the default: about a minute on SQLite), ``medium``, ``large``
(1,000,000 prompts and 5,000,000 ratings: PostgreSQL only). Each count can be overridden
(``--prompts``, ``--ratings``, ...). Expects an empty database; ``--reset`` empties it first.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from typing import TextIO

import django

from bench.seed.seeder import Seeder
from bench.seed.sizes import SIZES, SeedError, Sizes, optional_model

__all__ = ["SIZES", "SeedError", "Seeder", "Sizes", "hot_ids", "main", "seed_scale"]


# Used by the bench to find its targets without scanning: the hot prompt has the most ratings,
# the hot chain the most reflections (both are the first of their kind that seed_scale makes).
def hot_ids() -> dict[str, int]:
    from core.models import Prompt

    Chain = optional_model("training.SwarmTrainingChain")
    prompt = Prompt.objects.order_by("-rating_count").values_list("pk", flat=True).first()
    chain = (
        Chain._default_manager.order_by("-current_step").values_list("pk", flat=True).first()
        if Chain
        else None
    )
    return {"prompt": prompt or 0, "chain": chain or 0}


def seed_scale(*, stdout: TextIO | None = None, **options: int | float | str | bool | None) -> None:
    """Seed the configured database; options as the command line's (``size``, ``seed``,
    ``batch``, ``reset``, ``append``, ``allow_large_sqlite``, ``verbosity`` and the counts)."""
    Seeder(stdout=stdout or sys.stdout).run(**options)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed_scale",
        description="Fill the database with a benchmark-sized swarm "
        "(bulk inserts, consistent aggregates).",
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    for f in fields(Sizes):
        flag = "--" + f.name.replace("_", "-")
        parser.add_argument(flag, dest=f.name, type=float if f.type == "float" else int)
    parser.add_argument("--seed", type=int, default=42, help="random seed (reproducible)")
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--reset", action="store_true", help="flush the database first")
    parser.add_argument(
        "--append", action="store_true", help="add to a database that already has rows"
    )
    parser.add_argument(
        "--allow-large-sqlite",
        action="store_true",
        help="allow the large size on SQLite (hours, gigabytes: not advised)",
    )
    parser.add_argument("-v", "--verbosity", type=int, default=1)
    options = vars(parser.parse_args(argv))
    django.setup()
    try:
        seed_scale(**options)
    except SeedError as exc:
        raise SystemExit(f"seed_scale: {exc}") from exc


if __name__ == "__main__":
    main()
