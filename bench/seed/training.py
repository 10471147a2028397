"""The swarm's training: mutation rings (one step from a root) and training chains with
their participants and reflections, each chain's step, tracker and codex tension from the
training formulas; the first chain is the hot one (the most reflections)."""

from __future__ import annotations

from datetime import timedelta

from bench.seed.base import SeedRun
from bench.seed.sizes import TAGS, optional_model
from training.formulas import codex_tension_population_stddev


class Training(SeedRun):
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
