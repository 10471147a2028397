"""The swarm's economy: a wallet per assistant, the grant for a user's first granted
assistants (with its ledger entry), and purchases of paid listings by buyers of other users who
can pay (ledger entry, licence, adoption, each listing's adopter count), so every balance is its
credits minus its debits. Inserts the listings the prompts made."""

from __future__ import annotations

from collections import Counter

from django.conf import settings

from bench.seed.base import SeedRun
from bench.seed.sizes import optional_model


class Economy(SeedRun):
    def _economy(self, listings: list[dict]) -> None:
        from core.models import PromptLicence
        from economy.models import LedgerEntry, Wallet
        from economy.services import grant_cents

        s, rng, ins = self.sizes, self.rng, self.ins
        owner, n_assist, a0 = self.owner, len(self.owner), self.a0
        p0, v0 = self.p0, self.v0
        Listing = optional_model("economy.PromptTokenListing")
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
