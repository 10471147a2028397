"""The bench's limit (bench/limit/) under concurrency and at commit: two rates at once\nand the NOTIFY of each event, as the API does. PostgreSQL only: the limit's SQL is\nPostgreSQL's."""

import threading

import psycopg
import pytest
from django.db import connection

from tests.perf.limit_harness import call_limit, limit_app, step_body, world

pytestmark = pytest.mark.postgres
committed = pytest.mark.django_db(transaction=True)  # the limit reads through its own connection


@committed
def test_the_limit_rates_like_the_api_when_one_rater_rates_twice_at_once():
    """Both ratings wait on the prompt's lock with their snapshots taken; the second must see
    the first's entry (replace it: 200) as the API's fresh per-statement read does."""
    w = world()
    prompt, rater, token = w["paid_prompt"], w["buyer"], w["tokens"]["buyer"]
    body = {"rater": rater, "ritual_effectiveness": 0.5, "assistant_approval": 0.5}
    apps = [limit_app(), limit_app()]
    dsn = apps[0].dsn
    results: list = [None, None]
    with psycopg.connect(dsn) as locker:
        locker.execute("SELECT 1 FROM core_prompt WHERE id = %s FOR UPDATE", [prompt])

        def rate(i: int) -> None:
            try:
                results[i] = call_limit(
                    apps[i], "POST", f"/api/v1/prompts/{prompt}/rate/", body, token
                )
            except Exception as exc:  # surfaced by the assertion below
                results[i] = exc

        threads = [threading.Thread(target=rate, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        with psycopg.connect(dsn, autocommit=True) as watcher:
            waiting = 0
            for _ in range(600):
                waiting = watcher.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                ).fetchone()[0]
                if waiting >= 2:
                    break
                threading.Event().wait(0.05)
            assert waiting >= 2
        locker.rollback()  # let both go
        for t in threads:
            t.join(timeout=30)
    for app in apps:
        app.conn.close()
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(r[0] for r in results) == [200, 201], results
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM economy_promptreputationscore WHERE prompt_id = %s", [prompt]
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT rating_count FROM core_prompt WHERE id = %s", [prompt])
        assert cursor.fetchone()[0] == 1


@committed
def test_the_limits_writes_notify_each_event_as_core_events_does(limit):
    """The stream listeners hear of every event the limit writes (one NOTIFY per event id on
    core.events' channel, sent at commit), as they do of the API's."""
    from core.events import EVENTS_CHANNEL

    w = world()
    token = w["tokens"]["buyer"]
    with psycopg.connect(limit.dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {EVENTS_CHANNEL}")
        before = connection.cursor()
        before.execute("SELECT COALESCE(MAX(id), 0) FROM core_event")
        last = before.fetchone()[0]
        assert (
            call_limit(
                limit,
                "POST",
                f"/api/v1/market/prompts/{w['paid']}/buy/",
                {"buyer": w["buyer"]},
                token,
            )[0]
            == 201
        )
        assert (
            call_limit(
                limit, "POST", f"/api/v1/train/chains/{w['chain']}/step/", step_body(), token
            )[0]
            == 201
        )
        heard = [int(n.payload) for n in listener.notifies(timeout=2, stop_after=3)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, type FROM core_event WHERE id > %s ORDER BY id", [last])
        written = cursor.fetchall()
    assert [t for _, t in written] == ["purchase.completed", "chain.stepped", "chain.turn"]
    assert heard == [i for i, _ in written]
