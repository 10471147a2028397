"""The swarm's accounts: users, and their assistants in contiguous blocks (one to three per
user), inserted in bulk; leaves the assistants' ids and owners for the other domains."""

from __future__ import annotations

from bench.seed.base import SeedRun
from bench.seed.sizes import ASSISTANTS_PER_USER


class Accounts(SeedRun):
    def _accounts(self) -> None:
        from django.contrib.auth.models import User

        from core.models import Assistant

        s, ins = self.sizes, self.ins
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
        self.a0 = a0
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
