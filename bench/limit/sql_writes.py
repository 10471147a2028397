"""The limit's rating and chain-step SQL: ``economy.services.prompt_rate`` as one statement
(``rating_sql``), and ``training.services.chain_step`` without mutation as the chain row's lock
(``step_lock_sql``) then one statement for its writes and events (``step_sql``). When the API's
writes change, change them here."""

from __future__ import annotations

from bench.limit.sql_events import events_sql


def rating_sql() -> str:
    """``prompt_rate`` in one statement: lock the visible prompt, check the rater, replace the
    rater's previous entry (deleted first, so the new one is the newest), move the prompt's
    aggregate by the difference with the Bayesian average computed as the API's UPDATE does,
    and write the ``prompt.rated`` event to the author's owner."""
    return (
        """
WITH p AS MATERIALIZED (
    SELECT p.id, a.owner_id FROM core_prompt p JOIN core_assistant a ON a.id = p.author_id
     WHERE p.id = %(prompt)s AND (p.is_public OR a.owner_id = %(user)s OR %(staff)s)
       FOR UPDATE OF p),
r AS MATERIALIZED (SELECT id, owner_id FROM core_assistant WHERE id = %(rater)s),
ok AS MATERIALIZED (
    SELECT p.id, p.owner_id FROM p, r
     WHERE (r.owner_id = %(user)s OR %(staff)s) AND r.owner_id <> p.owner_id),
previous AS MATERIALIZED (
    DELETE FROM economy_promptreputationscore
     WHERE prompt_id = (SELECT id FROM ok) AND rater_id = %(rater)s
    RETURNING trust_score),
entry AS MATERIALIZED (
    INSERT INTO economy_promptreputationscore
           (prompt_id, rater_id, ritual_effectiveness, assistant_approval, user_rating_tags,
            symbolic_tags, trust_score, created_at)
    SELECT id, %(rater)s, %(re)s, %(aa)s, %(urt)s, %(st)s, %(score)s, now() FROM ok
     WHERE (SELECT COUNT(*) FROM previous) >= 0
    RETURNING id, created_at),
delta AS MATERIALIZED (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM previous)
                THEN %(score)s - (SELECT trust_score FROM previous) ELSE %(score)s END AS s,
           CASE WHEN EXISTS (SELECT 1 FROM previous) THEN 0 ELSE 1 END AS n
      FROM entry),
aggregate AS MATERIALIZED (
    UPDATE core_prompt
       SET rating_sum = rating_sum + (SELECT s FROM delta),
           rating_count = rating_count + (SELECT n FROM delta),
           trust_score = (%(prior)s + (rating_sum + (SELECT s FROM delta)))
                         / (%(weight)s + (rating_count + (SELECT n FROM delta)))
     WHERE id = (SELECT id FROM ok) AND EXISTS (SELECT 1 FROM delta)
    RETURNING id),
rated AS MATERIALIZED (
    SELECT 1 AS ord, 'prompt.rated'::varchar AS type,
           %(event_data)s::jsonb
             || jsonb_build_object('rating', entry.id, 'replaced', delta.n = 0) AS data,
           ARRAY[ok.owner_id] AS users
      FROM ok, entry, delta, aggregate),"""
        + events_sql("rated")
        + """
SELECT (SELECT COUNT(*) FROM p), (SELECT owner_id FROM p), (SELECT owner_id FROM r),
       (SELECT id FROM entry), (SELECT created_at FROM entry), (SELECT n FROM delta),
       (SELECT COUNT(*) FROM aggregate), (SELECT n FROM ev_notified)"""
    )


def step_lock_sql() -> str:
    """The chain row locked (its latest version), with its participants in turn order."""
    return """
SELECT c.id, c.chain_title, c.seed_assistant_id, s.owner_id, c.max_steps, c.current_step,
       c.belief_delta_tracker, c.status, c.created_at,
       ARRAY(SELECT cp.assistant_id FROM training_chainparticipant cp
              WHERE cp.chain_id = c.id ORDER BY cp.position),
       ARRAY(SELECT a.owner_id FROM training_chainparticipant cp
               JOIN core_assistant a ON a.id = cp.assistant_id
              WHERE cp.chain_id = c.id ORDER BY cp.position)
  FROM training_swarmtrainingchain c JOIN core_assistant s ON s.id = c.seed_assistant_id
 WHERE c.id = %s
   FOR UPDATE OF c"""


def step_sql() -> str:
    """``chain_step`` without a mutation, after the lock: the reflection row, the chain's
    tracker, tension, step, status and ``updated_at``, and its events (``chain.stepped`` to the
    involved assistants' owners, then ``chain.completed`` to them or ``chain.turn`` to the
    next turn's owner) in one statement."""
    return (
        """
WITH r AS MATERIALIZED (
    INSERT INTO training_assistantreflectionchain
           (chain_id, step, assistant_id, reflection_notes, memory_snapshot, belief_delta,
            mutation_id, created_at)
    VALUES (%(chain)s, %(step)s, %(turn)s, %(notes)s, %(snapshot)s, %(delta)s, NULL, now())
    RETURNING id, created_at),
c AS MATERIALIZED (
    UPDATE training_swarmtrainingchain
       SET belief_delta_tracker = %(tracker)s, codex_tension = %(tension)s,
           current_step = %(step)s + 1, status = %(status)s, updated_at = now()
     WHERE id = %(chain)s
    RETURNING updated_at),
happened AS MATERIALIZED (
    SELECT 1 AS ord, 'chain.stepped'::varchar AS type,
           %(stepped)s::jsonb || jsonb_build_object('reflection', r.id) AS data,
           %(owners)s::integer[] AS users
      FROM r, c
    UNION ALL
    SELECT 2, %(next_type)s::varchar, %(next_data)s::jsonb, %(next_users)s::integer[]
      FROM r, c),"""
        + events_sql("happened")
        + """
SELECT (SELECT id FROM r), (SELECT created_at FROM r), (SELECT updated_at FROM c),
       (SELECT n FROM ev_notified)"""
    )
