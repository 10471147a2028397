"""/mentorships/ feed and POST /mentorships/{id}/feedback/ (the mentor's score follows)."""

import datetime

import pytest
from django.utils import timezone

from mentorship.models import AssistantMentorTag, PromptMentorshipLog
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.factories import AssistantFactory
from tests.mentorship.factories import mentor_make

from .conftest import run_in_threads

pytestmark = pytest.mark.django_db
URL = "/api/v1/mentorships/"


def feedback(client, log, value):
    return client.post(f"{URL}{log.pk}/feedback/", {"trust_delta": value}, format="json")


@pytest.fixture
def logs(assistant, other_assistant):
    """Three mentorships from ``assistant`` (a mentor) to ``other_assistant``, one the other way."""
    tag = mentor_make(assistant)
    made = []
    for i in range(3):
        log = PromptMentorshipLog.objects.create(
            mentor=assistant, mentee=other_assistant, mutation_notes=f"notes {i}"
        )
        log.prompt_set.set(tag.offered_prompts.all())
        made.append(log)
    made.append(PromptMentorshipLog.objects.create(mentor=other_assistant, mentee=assistant))
    return made


def test_list_newest_first_with_cursor(anon_client, logs):
    r = anon_client.get(URL, {"page_size": 2})
    assert r.status_code == 200
    body = r.json()
    assert [m["id"] for m in body["results"]] == [logs[3].pk, logs[2].pk]
    assert "count" not in body  # cursor pagination: no COUNT(*)
    second = anon_client.get(body["next"]).json()
    assert [m["id"] for m in second["results"]] == [logs[1].pk, logs[0].pk]
    assert len(body["results"][1]["prompt_set"]) == 2


def test_list_filters(anon_client, logs, assistant, other_assistant):
    ids = lambda r: [m["id"] for m in r.json()["results"]]  # noqa: E731
    assert ids(anon_client.get(URL, {"mentor": other_assistant.pk})) == [logs[3].pk]
    assert ids(anon_client.get(URL, {"mentee": other_assistant.pk})) == [
        logs[2].pk,
        logs[1].pk,
        logs[0].pk,
    ]
    old = timezone.now() - datetime.timedelta(days=3)
    PromptMentorshipLog.objects.filter(pk=logs[0].pk).update(created_at=old)
    cut = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(anon_client.get(URL, {"created_before": cut})) == [logs[0].pk]
    assert logs[0].pk not in ids(anon_client.get(URL, {"created_after": cut}))


@pytest.mark.parametrize(
    "query",
    [
        {"mentor": "abc"},
        {"mentee": str(2**70)},
        {"mentor": "0"},
        {"created_after": "yesterday"},
        {"page_size": "0"},
        {"page_size": "101"},
    ],
)
def test_list_bad_filters_are_400(anon_client, query):
    assert anon_client.get(URL, query).status_code == 400


def test_list_queries_constant(anon_client, logs):
    assert assert_list_queries_constant(anon_client, URL) <= 3


def test_detail(anon_client, logs):
    r = anon_client.get(f"{URL}{logs[0].pk}/")
    assert r.status_code == 200
    assert r.json()["mutation_notes"] == "notes 0"
    assert anon_client.get(f"{URL}999999/").status_code == 404


def test_feedback_stores_trust_and_scores_the_mentor(other_client, logs, assistant):
    """The seed's goal: a mentorship log stores the mentee's trust feedback."""
    r = feedback(other_client, logs[0], 0.8)
    assert r.status_code == 200, r.content
    assert r.json()["trust_delta"] == 0.8
    logs[0].refresh_from_db()
    assert logs[0].trust_delta == 0.8
    assert logs[0].feedback_at is not None
    tag = AssistantMentorTag.objects.get(assistant=assistant)
    assert tag.mentor_score == pytest.approx(0.8 / (1 + 3))
    assert tag.feedback_count == 1

    feedback(other_client, logs[1], -0.2)
    tag.refresh_from_db()
    assert tag.mentor_score == pytest.approx((0.8 - 0.2) / (2 + 3))

    # Feedback again replaces the first.
    feedback(other_client, logs[0], 0.4)
    tag.refresh_from_db()
    assert tag.mentor_score == pytest.approx((0.4 - 0.2) / (2 + 3))
    assert tag.feedback_count == 2
    page = other_client.get(f"/api/v1/assistants/{assistant.pk}/mentorship/").json()
    assert page["mentor_score"] == pytest.approx(0.04)


def test_score_survives_opt_out_and_back(owner_client, other_client, logs, assistant):
    feedback(other_client, logs[0], 1.0)
    owner_client.delete(f"/api/v1/assistants/{assistant.pk}/mentorship/tag/")
    feedback(other_client, logs[1], 1.0)  # feedback while not a mentor is still recorded
    mentor_make(assistant)
    assert AssistantMentorTag.objects.get().mentor_score == pytest.approx(2 / 5)


def test_feedback_by_the_mentor_or_a_stranger_is_403(owner_client, client_for, logs):
    r = feedback(owner_client, logs[0], 1.0)  # the mentor's owner
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    stranger = client_for(AssistantFactory().owner)
    assert feedback(stranger, logs[0], 1.0).status_code == 403
    logs[0].refresh_from_db()
    assert logs[0].feedback_at is None
    assert AssistantMentorTag.objects.get().feedback_count == 0


def test_feedback_needs_auth(anon_client, logs):
    assert feedback(anon_client, logs[0], 0.5).status_code == 401


def test_feedback_on_missing_log_is_404(other_client):
    r = other_client.post(f"{URL}999999/feedback/", {"trust_delta": 0.1}, format="json")
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (1.5, "max_value"),
        (-1.01, "min_value"),
        ("nan", "not_finite"),
        ("inf", "not_finite"),
        ("high", "invalid"),
        (None, "null"),
        ([0.5], "invalid"),
    ],
)
def test_feedback_bad_input(other_client, logs, value, code):
    r = feedback(other_client, logs[0], value)
    assert r.status_code == 400, r.content
    assert error_codes(r) == [code]
    logs[0].refresh_from_db()
    assert logs[0].feedback_at is None


def test_feedback_bounds_are_inclusive(other_client, logs):
    assert feedback(other_client, logs[0], -1).status_code == 200
    assert feedback(other_client, logs[1], 1).status_code == 200


def test_feedback_queries_do_not_grow(other_client, logs, assistant, other_assistant):
    small, _ = count_queries(lambda: feedback(other_client, logs[0], 0.5))
    for _ in range(30):
        log = PromptMentorshipLog.objects.create(mentor=assistant, mentee=other_assistant)
        feedback(other_client, log, 0.1)
    big, _ = count_queries(lambda: feedback(other_client, logs[1], 0.5))
    assert small == big


@pytest.mark.django_db(transaction=True)
def test_concurrent_feedback_on_one_mentor_is_all_counted(client_for):
    mentor = AssistantFactory()
    mentor_make(mentor)
    mentees = [AssistantFactory() for _ in range(4)]
    logs = [PromptMentorshipLog.objects.create(mentor=mentor, mentee=m) for m in mentees]
    clients = [client_for(m.owner) for m in mentees]
    results = run_in_threads(
        *[
            lambda c=c, log=log: feedback(c, log, 0.5).status_code
            for c, log in zip(clients, logs, strict=True)
        ]
    )
    assert results == [200] * 4
    tag = AssistantMentorTag.objects.get(assistant=mentor)
    assert tag.feedback_count == 4
    assert tag.mentor_score == pytest.approx(2.0 / 7)
