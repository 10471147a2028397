"""The swarm's prompts, chunk by chunk: authors on a power law, forks, each prompt's version 1,
its ratings (distinct raters of other users, the trust scores and the prompt's Bayesian
aggregate from the economy's formulas) and a quarter of the public ones listed, some free,
some with a delisted listing before. The listings are returned for the economy to sell."""

from __future__ import annotations

from datetime import datetime

from bench.seed.base import SeedRun
from bench.seed.sizes import CLAUSES, RATING_TAGS, TAGS, optional_model
from economy.formulas import bayesian_trust_score, reputation_trust_score


class Prompts(SeedRun):
    def _prompts(self) -> list[dict]:
        """Prompts, versions, ratings; the listings made (not inserted yet)."""
        from core.models import Prompt, PromptVersion, content_hash

        s, rng, ins = self.sizes, self.rng, self.ins
        owner, n_assist, a0 = self.owner, len(self.owner), self.a0
        # Prompts and their ratings, chunk by chunk (aggregates computed from the ratings made).
        Rating = optional_model("economy.PromptReputationScore")
        Listing = optional_model("economy.PromptTokenListing")
        p0 = self._next_id(Prompt)
        v0 = self._next_id(PromptVersion)  # prompt p0 + i has its version 1 at id v0 + i
        r0 = self._next_id(Rating) if Rating else 1
        l0 = self._next_id(Listing) if Listing else 1
        self.p0, self.v0 = p0, v0
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
        return listings

    def _listing(
        self, lid: int, prompt_id: int, author: int, created: datetime, *, active: bool = True
    ) -> dict:
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
