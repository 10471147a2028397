"""The limit's chain step (``training.services.chain_step`` without mutation): the body
validated as the API does, the chain row locked, turn, completion and expected step checked,
the tracker and tension computed with the domain's formula, then one statement for the
reflection, the chain and its events, all in one transaction."""

from __future__ import annotations

from typing import Any

import orjson
from psycopg.types.json import Jsonb

from bench.limit.base import LimitBase
from bench.limit.constants import (
    EVENT_ORDER_LOCK,
    EVENTS_CHANNEL,
    MAX_NOTES,
    MEMORY_SNAPSHOT_MAX_BYTES,
)
from bench.limit.inputs import read_number
from bench.limit.refusals import Refused, Response, domain_refusal, not_found
from bench.limit.sql_writes import step_lock_sql, step_sql
from training import exceptions as training_errors
from training.formulas import codex_tension_population_stddev


class Step(LimitBase):
    """``POST`` chain step."""

    def step(self, environ: dict, chain_id: int) -> Response:
        user_id, staff = self.user(environ)
        conn = self.db()
        try:
            body = self._body(environ)
            notes = body.get("reflection_notes")
            if not isinstance(notes, str):
                raise Refused(400, "required", "This field is required.", "reflection_notes")
            if len(notes) > MAX_NOTES:
                raise Refused(400, "max_length", "Too long.", "reflection_notes")
            snapshot = body.get("memory_snapshot")
            if not isinstance(snapshot, dict) or len(orjson.dumps(snapshot)) > (
                MEMORY_SNAPSHOT_MAX_BYTES
            ):
                raise Refused(400, "invalid", "A JSON object of at most 64 KiB.", "memory_snapshot")
            delta = read_number(body, "belief_delta", -1.0, 1.0)
            expected = body.get("expected_step")
            if expected is not None and (
                isinstance(expected, bool) or not isinstance(expected, int) or expected < 0
            ):
                raise Refused(400, "invalid", "A valid integer is required.", "expected_step")
            if "mutation" in body:
                raise Refused(400, "invalid", "The limit makes no mutations.", "mutation")
        except Refused:
            if (
                conn.execute(
                    "SELECT 1 FROM training_swarmtrainingchain WHERE id = %s", [chain_id]
                ).fetchone()
                is None
            ):
                raise not_found() from None
            raise
        with conn.transaction():
            row = conn.execute(step_lock_sql(), [chain_id]).fetchone()
            if row is None:
                raise not_found()
            (pk, title, seed, seed_owner, max_steps, current, tracker, state, created) = row[:9]
            involved, owners = row[9], row[10]
            turn = involved[current % len(involved)]
            if not (staff or user_id in (owners[current % len(involved)], seed_owner)):
                raise domain_refusal(training_errors.NotYourTurn)
            if state == "completed":
                raise domain_refusal(training_errors.ChainCompleted)
            if expected is not None and expected != current:
                raise domain_refusal(
                    training_errors.StaleStep,
                    detail=f"expected_step is {expected} but the chain is at step {current}.",
                )
            tracker = dict(tracker or {})
            tracker[str(turn)] = float(tracker.get(str(turn), 0.0)) + delta
            tension = codex_tension_population_stddev(tracker=tracker, involved_ids=involved)
            status = "completed" if max_steps is not None and current + 1 >= max_steps else state
            after = current + 1
            if status == "completed":
                next_type, next_users = "chain.completed", owners
                next_data: dict[str, Any] = {"chain": chain_id, "steps": after}
            else:
                following = after % len(involved)
                next_type, next_users = "chain.turn", [owners[following]]
                next_data = {"chain": chain_id, "step": after, "assistant": involved[following]}
            reflection_id, reflected_at, updated, _ = conn.execute(
                step_sql(),
                {
                    "chain": chain_id,
                    "step": current,
                    "turn": turn,
                    "notes": notes,
                    "snapshot": Jsonb(snapshot),
                    "delta": delta,
                    "tracker": Jsonb(tracker),
                    "tension": tension,
                    "status": status,
                    # chain.stepped's data as the API writes it; the statement adds reflection.
                    "stepped": Jsonb(
                        {
                            "chain": chain_id,
                            "step": current,
                            "assistant": turn,
                            "codex_tension": tension,
                        }
                    ),
                    "owners": owners,
                    "next_type": next_type,
                    "next_data": Jsonb(next_data),
                    "next_users": next_users,
                    "event_lock": EVENT_ORDER_LOCK,
                    "event_channel": EVENTS_CHANNEL,
                },
            ).fetchone()  # type: ignore[misc]
        body = {
            "reflection": {
                "id": reflection_id,
                "chain": chain_id,
                "step": current,
                "assistant": turn,
                "reflection_notes": notes,
                "memory_snapshot": snapshot,
                "belief_delta": delta,
                "mutation": None,
                "created_at": reflected_at,
            },
            "chain": {
                "id": pk,
                "chain_title": title,
                "seed_assistant": seed,
                "involved_assistants": involved,
                "max_steps": max_steps,
                "current_step": after,
                "next_assistant": None
                if status == "completed"
                else involved[after % len(involved)],
                "belief_delta_tracker": tracker,
                "codex_tension": tension,
                "status": status,
                "created_at": created,
                "updated_at": updated,
            },
        }
        return 201, body, []
