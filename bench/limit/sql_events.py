"""``core.events.event_emit`` as SQL: the CTEs every write statement of the limit appends
to record its events, their recipients and webhook deliveries and to NOTIFY, in one round
trip with the write itself."""

from __future__ import annotations


def events_sql(source: str) -> str:
    """``core.events.event_emit`` for the rows of CTE ``source`` (``ord, type, data, users``),
    as CTEs to append: the order lock (``pg_advisory_xact_lock``, held to commit) taken only
    when there is an event and only after the change's own writes, the events in ``ord`` order,
    their recipients (distinct users, ascending), a pending delivery per active endpoint of a
    recipient whose filter matches, and a NOTIFY per event. The caller selects ``ev_notified``
    so the NOTIFY runs. The delivery job is not enqueued (housekeeping re-enqueues a pending
    delivery whose job was lost)."""
    return f"""
ev_src AS MATERIALIZED (
    SELECT s.ord, s.type, s.data,
           ARRAY(SELECT DISTINCT u FROM unnest(s.users) AS u WHERE u IS NOT NULL ORDER BY u)
             AS users
      FROM {source} s),
ev_lock AS MATERIALIZED (
    SELECT pg_advisory_xact_lock(%(event_lock)s) FROM (SELECT 1 FROM ev_src LIMIT 1) x),
ev AS (
    INSERT INTO core_event (type, created_at, data)
    SELECT s.type, now(), s.data FROM ev_src s, ev_lock ORDER BY s.ord
    RETURNING id, type),
ev_to AS (
    INSERT INTO core_eventrecipient (event_id, user_id)
    SELECT ev.id, u FROM ev JOIN ev_src s ON s.type = ev.type CROSS JOIN unnest(s.users) AS u
     ORDER BY ev.id, u
    RETURNING id),
ev_hooks AS (
    INSERT INTO core_webhookdelivery
           (event_id, endpoint_id, status, attempts, next_attempt_at, claimed_until,
            created_at, updated_at)
    SELECT ev.id, e.id, 'pending', 0, now(), NULL, now(), now()
      FROM ev JOIN ev_src s ON s.type = ev.type
      JOIN core_webhookendpoint e ON e.owner_id = ANY (s.users) AND e.is_active
       AND (e.types = '[]'::jsonb OR e.types ? s.type)
     ORDER BY ev.id, e.id
    RETURNING id),
ev_notified AS MATERIALIZED (
    SELECT COUNT(pg_notify(%(event_channel)s, ev.id::text)) AS n,
           (SELECT COUNT(*) FROM ev_to) AS recipients, (SELECT COUNT(*) FROM ev_hooks) AS hooks
      FROM ev)"""
