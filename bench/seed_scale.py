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
from the apps' formulas modules.

Sizes: ``--size small`` (the default: about a minute on SQLite), ``medium``, ``large``
(1,000,000 prompts and 5,000,000 ratings: PostgreSQL only). Each count can be overridden
(``--prompts``, ``--ratings``, ...). Expects an empty database; ``--reset`` empties it first.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import TextIO

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction

from economy.formulas import bayesian_trust_score, reputation_trust_score
from training.formulas import codex_tension_population_stddev

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


class Inserter:
    """Insert rows given as dicts of attname -> value; fields left out get their default
    (``auto_now``/``auto_now_add`` get ``now``). COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, *, batch: int, now: datetime, verbose: bool):
        self.batch = batch
        self.now = now
        self.verbose = verbose
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def _columns(self, model: type[models.Model], sample: dict) -> list[tuple[str, str, object]]:
        cols: list[tuple[str, str, object]] = []
        for field in model._meta.concrete_fields:
            attname = field.attname
            if attname in sample:
                cols.append((attname, field.column, None))
                continue
            if field.primary_key:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default: object = self.now
            elif field.has_default():
                default = field.get_default()
            elif field.null:
                default = None
            else:
                raise SeedError(f"{model.__name__}.{attname} needs a value in seed_scale")
            cols.append((attname, field.column, default))
        return cols

    def _value(self, value: object) -> object:
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"))
        if not self.postgres and isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    def insert(self, model: type[models.Model], rows: Iterable[dict]) -> int:
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        cols = self._columns(model, first)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c[1]) for c in cols)
        value = self._value

        def tuples() -> Iterator[tuple]:
            for row in _chain(first, iterator):
                yield tuple(value(row.get(a, d)) for a, _, d in cols)

        n = 0
        with connection.cursor() as cursor:
            if self.postgres:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for t in tuples():
                        copy.write_row(t)
                        n += 1
            else:
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(cols))})"
                batch: list[tuple] = []
                for t in tuples():
                    batch.append(t)
                    if len(batch) >= self.batch:
                        cursor.executemany(sql, batch)
                        n += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    n += len(batch)
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + n
        return n


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest


class Seeder:
    """One seeding run: the swarm's ids and rows, built in memory and inserted in bulk."""

    def __init__(self, *, stdout: TextIO):
        self.stdout = stdout

    def _write(self, line: str) -> None:
        self.stdout.write(line + "\n")

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

    def _next_id(self, model: type[models.Model]) -> int:
        return (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1

    def _when(self, frac: float) -> datetime:
        """A moment in the last year; ``frac`` 0 = a year ago, 1 = now."""
        return self.now - timedelta(seconds=int((1 - frac) * 365 * 86400))

    def _log(self, what: str) -> None:
        self._write(f"  .. {what}")

    # --- the swarm ------------------------------------------------------------------------------

    def _seed(self) -> None:
        from django.contrib.auth.models import User

        from core.models import (
            Assistant,
            CodexClause,
            Prompt,
            PromptLicence,
            PromptVersion,
            content_hash,
        )
        from economy.models import LedgerEntry, Wallet
        from economy.services import grant_cents

        s, rng, ins = self.sizes, self.rng, self.ins

        for code, text in CLAUSES.items():
            CodexClause.objects.get_or_create(code=code, defaults={"text": text})

        # Users, and their assistants in contiguous blocks (owner of assistant i = owner[i]).
        user0 = self._next_id(User)
        ins.insert(
            User,
            (
                {
                    "id": user0 + u,
                    "password": "!",
                    "username": f"swarm{user0 + u}",
                    "email": f"swarm{user0 + u}@example.com",
                    "is_superuser": False,
                    "is_staff": False,
                    "is_active": True,
                    "first_name": "",
                    "last_name": "",
                    "date_joined": self._when(u / s.users * 0.1),
                }
                for u in range(s.users)
            ),
        )
        owner: list[int] = []
        for u in range(s.users):
            owner.extend([user0 + u] * ASSISTANTS_PER_USER[u % len(ASSISTANTS_PER_USER)])
        n_assist = len(owner)
        a0 = self._next_id(Assistant)
        self.assistant_ids = [a0 + i for i in range(n_assist)]
        self.owner = owner
        ins.insert(
            Assistant,
            (
                {
                    "id": a0 + i,
                    "owner_id": owner[i],
                    "name": f"swarm-assistant-{a0 + i}",
                    "description": "A benchmark assistant.",
                    "created_at": self._when(i / n_assist * 0.1),
                }
                for i in range(n_assist)
            ),
        )
        self._log(f"{s.users:,} users, {n_assist:,} assistants")

        # Prompts and their ratings, chunk by chunk (aggregates computed from the ratings made).
        Rating = optional_model("economy.PromptReputationScore")
        Listing = optional_model("economy.PromptTokenListing")
        p0 = self._next_id(Prompt)
        v0 = self._next_id(PromptVersion)  # prompt p0 + i has its version 1 at id v0 + i
        r0 = self._next_id(Rating) if Rating else 1
        l0 = self._next_id(Listing) if Listing else 1
        self.prompt_ids = [p0 + i for i in range(s.prompts)]
        author_of: list[int] = [0] * s.prompts  # assistant index
        public: list[bool] = [True] * s.prompts
        listings: list[dict] = []
        fork_counts: dict[int, int] = {}
        forked_from: dict[int, int] = {}
        # Only public prompts (95 %) are rated; aim 3 % high so the total reaches the target.
        mean_ratings = max(0.0, (s.ratings - s.hot_ratings) / max(1, 0.95 * (s.prompts - 1)) * 1.03)
        rating_id = r0
        chunk = 20_000
        self.hot_prompt_id = p0  # prompt 0 gets ``hot_ratings`` ratings
        max_raters = max(0, n_assist - 8)
        for start in range(0, s.prompts, chunk):
            prompt_rows: list[dict] = []
            version_rows: list[dict] = []
            rating_rows: list[dict] = []
            for i in range(start, min(start + chunk, s.prompts)):
                # Authors follow a power law: a few prolific assistants, a long tail.
                a = min(n_assist - 1, int(n_assist * rng.random() ** 2))
                author_of[i] = a
                is_public = i == 0 or rng.random() < 0.95
                public[i] = is_public
                tags = rng.sample(TAGS, rng.randint(1, 3))
                body = f"Prompt {p0 + i}: reflect on {' and '.join(tags)}, then answer. " * 3
                parent = None
                if i > 10 and rng.random() < s.fork_share:
                    parent = rng.randrange(0, i)
                    if public[parent]:
                        forked_from[i] = parent
                        fork_counts[parent] = fork_counts.get(parent, 0) + 1
                # Ratings of this prompt: distinct raters, never of the author's own user.
                if is_public:
                    n = s.hot_ratings if i == 0 else int(rng.expovariate(1.0) * mean_ratings + 0.5)
                    n = min(n, max_raters)
                else:
                    n = 0
                rsum = 0.0
                count = 0
                if n and Rating:
                    first_rater = rng.randrange(n_assist)
                    for k in range(n + 8):
                        if count >= n:
                            break
                        r = (first_rater + k) % n_assist
                        if owner[r] == owner[a]:
                            continue
                        re_, aa = round(rng.random(), 2), round(rng.random(), 2)
                        trust = reputation_trust_score(
                            ritual_effectiveness=re_, assistant_approval=aa
                        )
                        rsum += trust
                        count += 1
                        rating_rows.append(
                            {
                                "id": rating_id,
                                "prompt_id": p0 + i,
                                "rater_id": a0 + r,
                                "ritual_effectiveness": re_,
                                "assistant_approval": aa,
                                "user_rating_tags": rng.sample(RATING_TAGS, rng.randint(0, 2)),
                                "symbolic_tags": rng.sample(TAGS, rng.randint(0, 2)),
                                "trust_score": trust,
                                "created_at": self._when(0.5 + 0.5 * rng.random()),
                            }
                        )
                        rating_id += 1
                created = self._when(0.1 + 0.8 * i / s.prompts)
                prompt_rows.append(
                    {
                        "id": p0 + i,
                        "author_id": a0 + a,
                        "title": f"{tags[0].title()} prompt {p0 + i}",
                        "body": body,
                        "tags": tags,
                        "codex_clauses": rng.sample(list(CLAUSES), rng.randint(0, 2)),
                        "is_public": is_public,
                        "forked_from_id": p0 + forked_from[i] if i in forked_from else None,
                        "content_hash": content_hash(body),
                        "trust_score": bayesian_trust_score(rsum, count),
                        "rating_count": count,
                        "rating_sum": rsum,
                        "fork_count": 0,
                        "is_listed": False,
                        "is_for_sale": False,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                version_rows.append(
                    {
                        "id": v0 + i,
                        "prompt_id": p0 + i,
                        "number": 1,
                        "title": prompt_rows[-1]["title"],
                        "body": body,
                        "tags": tags,
                        "codex_clauses": prompt_rows[-1]["codex_clauses"],
                        "content_hash": prompt_rows[-1]["content_hash"],
                        "created_by_id": a0 + a,
                        "created_at": created,
                    }
                )
                # A quarter of the public prompts are listed; a fifth of those for free.
                if Listing and is_public and (i == 0 or rng.random() < s.listing_share):
                    if rng.random() < 0.05:  # an older, delisted listing: history
                        listings.append(
                            self._listing(l0 + len(listings), p0 + i, a, created, active=False)
                        )
                    listings.append(self._listing(l0 + len(listings), p0 + i, a, created))
                    # The market facts economy keeps on the prompt (core's access rules).
                    prompt_rows[-1]["is_listed"] = True
                    prompt_rows[-1]["is_for_sale"] = listings[-1]["token_cost_cents"] > 0
            ins.insert(Prompt, prompt_rows)
            ins.insert(PromptVersion, version_rows)
            if Rating:
                ins.insert(Rating, rating_rows)
            self._log(f"prompts {min(start + chunk, s.prompts):,}/{s.prompts:,}")
        for i, n in fork_counts.items():
            Prompt.objects.filter(pk=p0 + i).update(fork_count=n)
        self.author_of = author_of

        # Purchases: a buyer of another user, enough tokens, one licence per (buyer, prompt).
        # A user's first GRANTED_ASSISTANTS_PER_USER assistants hold the grant (SPEC 2).
        grant = grant_cents()
        per_user: Counter[int] = Counter()
        balance = []
        for i in range(n_assist):
            per_user[owner[i]] += 1
            granted = per_user[owner[i]] <= settings.GRANTED_ASSISTANTS_PER_USER
            balance.append(grant if granted else 0)
        paid = [li for li in listings if li["is_active"] and li["token_cost_cents"] > 0]
        owned: set[tuple[int, int]] = set()
        Adoption = optional_model("economy.ListingAdoption")
        ledger: list[dict] = []
        licences: list[dict] = []
        adoptions: list[dict] = []
        adopters: dict[int, int] = {}
        w0 = self._next_id(Wallet)
        wallet_of = [w0 + i for i in range(n_assist)]
        e0 = self._next_id(LedgerEntry)
        for i in range(n_assist):
            if not balance[i]:
                continue
            ledger.append(
                {
                    "id": e0 + len(ledger),
                    "kind": "grant",
                    "payer_id": None,
                    "payee_id": wallet_of[i],
                    "amount_cents": grant,
                    "reference": f"assistant:{a0 + i}",
                    "created_at": self._when(i / n_assist * 0.1),
                }
            )
        attempts = 0
        made = 0
        while paid and made < s.purchases and attempts < s.purchases * 4:
            attempts += 1
            buyer = rng.randrange(n_assist)
            li = paid[int(len(paid) * rng.random() ** 1.5)]  # popular listings sell more
            seller = li["_author"]
            key = (buyer, li["prompt_id"])
            cost = li["token_cost_cents"]
            if owner[buyer] == owner[seller] or key in owned or balance[buyer] < cost:
                continue
            owned.add(key)
            balance[buyer] -= cost
            balance[seller] += cost
            when = self._when(0.9 + 0.1 * made / max(1, s.purchases))
            ledger.append(
                {
                    "id": e0 + len(ledger),
                    "kind": "prompt_purchase",
                    "payer_id": wallet_of[buyer],
                    "payee_id": wallet_of[seller],
                    "amount_cents": cost,
                    "reference": f"listing:{li['id']}",
                    "created_at": when,
                }
            )
            licences.append(
                {
                    "assistant_id": a0 + buyer,
                    "prompt_id": li["prompt_id"],
                    "version_id": v0 + li["prompt_id"] - p0,
                    "source": "purchase",
                    "created_at": when,
                }
            )
            adoptions.append(
                {
                    "listing_id": li["id"],
                    "assistant_id": a0 + buyer,
                    "kind": "purchase",
                    "created_at": when,
                }
            )
            adopters[li["id"]] = adopters.get(li["id"], 0) + 1
            made += 1
        if Listing:
            has_count = any(f.attname == "adopter_count" for f in Listing._meta.concrete_fields)
            for li in listings:
                li.pop("_author")
                if has_count:
                    li["adopter_count"] = adopters.get(li["id"], 0)
            ins.insert(Listing, listings)
        ins.insert(
            Wallet,
            (
                {"id": wallet_of[i], "assistant_id": a0 + i, "balance_cents": balance[i]}
                for i in range(n_assist)
            ),
        )
        ins.insert(LedgerEntry, ledger)
        ins.insert(PromptLicence, licences)
        if Adoption:
            ins.insert(Adoption, adoptions)
        self._log(f"{len(listings):,} listings, {made:,} purchases")

        self._mutations()
        self._chains()

    def _listing(self, lid: int, prompt_id: int, author: int, created, *, active=True) -> dict:
        rng = self.rng
        return {
            "id": lid,
            "prompt_id": prompt_id,
            "_author": author,
            "token_cost_cents": 0 if rng.random() < 0.2 else rng.randint(1, 500),
            "symbolic_tag_weight": round(rng.random(), 3),
            "codex_usage_score": round(rng.random(), 3),
            "is_active": active,
            "listed_at": created,
            "delisted_at": None if active else created,
        }

    def _mutations(self) -> None:
        Ring = optional_model("training.PromptMutationRing")
        if Ring is None:
            return
        s, rng = self.sizes, self.rng
        n = int(s.prompts * s.mutation_share)
        mutated = sorted(rng.sample(range(1, s.prompts), min(n, s.prompts - 1)))
        mutated_set = set(mutated)
        rows = []
        for child in mutated:
            parent = rng.randrange(0, child)
            if parent in mutated_set:
                continue  # keep every ring one step from a root: mutation_step = 1
            rows.append(
                {
                    "parent_prompt_id": self.prompt_ids[parent],
                    "mutated_prompt_id": self.prompt_ids[child],
                    "belief_delta": round(rng.uniform(-1, 1), 3),
                    "mutation_step": 1,
                }
            )
        self.ins.insert(Ring, rows)

    def _chains(self) -> None:
        Chain = optional_model("training.SwarmTrainingChain")
        Participant = optional_model("training.ChainParticipant")
        Reflection = optional_model("training.AssistantReflectionChain")
        if not (Chain and Participant and Reflection):
            return
        s, rng = self.sizes, self.rng
        n_assist = len(self.assistant_ids)
        c0 = self._next_id(Chain)
        chains: list[dict] = []
        participants: list[dict] = []
        reflections: list[dict] = []
        per_chain = max(0, (s.reflections - s.hot_reflections) // max(1, s.chains - 1))
        self.hot_chain_id = c0
        for c in range(s.chains):
            size = rng.randint(2, min(8, n_assist))
            involved = rng.sample(range(n_assist), size)
            steps = s.hot_reflections if c == 0 else int(rng.uniform(0, 2) * per_chain)
            tracker: dict[str, float] = {str(self.assistant_ids[a]): 0.0 for a in involved}
            created = self._when(0.5 + 0.4 * c / s.chains)
            for pos, a in enumerate(involved):
                participants.append(
                    {"chain_id": c0 + c, "assistant_id": self.assistant_ids[a], "position": pos}
                )
            for step in range(steps):
                a = involved[step % size]
                delta = round(rng.uniform(-1, 1), 3)
                tracker[str(self.assistant_ids[a])] += delta
                reflections.append(
                    {
                        "chain_id": c0 + c,
                        "step": step,
                        "assistant_id": self.assistant_ids[a],
                        "reflection_notes": f"Step {step}: the belief moved by {delta}.",
                        "memory_snapshot": {"step": step, "mood": rng.choice(TAGS)},
                        "belief_delta": delta,
                        "mutation_id": None,
                        "created_at": created + timedelta(seconds=step),
                    }
                )
            chains.append(
                {
                    "id": c0 + c,
                    "chain_title": f"Chain {c0 + c}",
                    "seed_assistant_id": self.assistant_ids[involved[0]],
                    "current_step": steps,
                    "max_steps": None,
                    "belief_delta_tracker": {k: round(v, 6) for k, v in tracker.items()},
                    "codex_tension": codex_tension_population_stddev(
                        tracker=tracker, involved_ids=[self.assistant_ids[a] for a in involved]
                    ),
                    "status": "active",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if len(reflections) > 50_000:
                self._flush_chains(
                    Chain, Participant, Reflection, chains, participants, reflections
                )
        self._flush_chains(Chain, Participant, Reflection, chains, participants, reflections)

    def _flush_chains(self, Chain, Participant, Reflection, chains, participants, reflections):
        self.ins.insert(Chain, chains)
        self.ins.insert(Participant, participants)
        self.ins.insert(Reflection, reflections)
        chains.clear()
        participants.clear()
        reflections.clear()

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
