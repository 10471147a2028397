"""/assistants/{id}/mentorship/ (page), .../tag/ (opt in, change, opt out), .../adopt/."""

import pytest

from mentorship.models import AssistantMentorTag, PromptMentorshipLog
from tests.api.mentorship.assistant_mentorship_helpers import page_url, tag_url
from tests.conftest import count_queries, error_codes
from tests.factories import PromptFactory
from tests.mentorship.factories import mentor_make

pytestmark = pytest.mark.django_db


# Tag ----------------------------------------------------------------------------------------


def test_opt_in_change_and_opt_out(owner_client, assistant):
    p1, p2 = PromptFactory(author=assistant), PromptFactory(author=assistant)
    r = owner_client.post(
        tag_url(assistant), {"mentorship_notes": "Dreams.", "offered_prompts": [p1.pk]}
    )
    assert r.status_code == 201, r.content
    assert r.json()["offered_prompts"] == [p1.pk]
    assert r.json()["mentor_score"] == 0.0
    tag = AssistantMentorTag.objects.get(assistant=assistant)
    assert tag.mentorship_notes == "Dreams."

    r = owner_client.post(
        tag_url(assistant), {"mentorship_notes": "More.", "offered_prompts": [p2.pk, p1.pk]}
    )
    assert r.status_code == 200, r.content
    assert sorted(r.json()["offered_prompts"]) == sorted([p1.pk, p2.pk])
    tag.refresh_from_db()
    assert tag.mentorship_notes == "More."
    assert set(tag.offered_prompts.values_list("id", flat=True)) == {p1.pk, p2.pk}
    assert AssistantMentorTag.objects.count() == 1

    assert owner_client.delete(tag_url(assistant)).status_code == 204
    assert not AssistantMentorTag.objects.exists()
    assert owner_client.delete(tag_url(assistant)).status_code == 404


def test_mentor_score_is_read_only(owner_client, assistant):
    p = PromptFactory(author=assistant)
    r = owner_client.post(
        tag_url(assistant), {"offered_prompts": [p.pk], "mentor_score": 0.9, "feedback_count": 5}
    )
    assert r.status_code == 201
    tag = AssistantMentorTag.objects.get()
    assert (tag.mentor_score, tag.feedback_count) == (0.0, 0)


def test_tag_needs_auth(anon_client, assistant):
    p = PromptFactory(author=assistant)
    assert anon_client.post(tag_url(assistant), {"offered_prompts": [p.pk]}).status_code == 401
    assert anon_client.delete(tag_url(assistant)).status_code == 401


def test_tag_of_someone_elses_assistant_is_403(other_client, assistant):
    p = PromptFactory(author=assistant)
    r = other_client.post(tag_url(assistant), {"offered_prompts": [p.pk]})
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    mentor_make(assistant)
    r = other_client.delete(tag_url(assistant))
    assert r.status_code == 403
    assert AssistantMentorTag.objects.count() == 1


def test_staff_may_tag_any_assistant(staff_client, assistant):
    p = PromptFactory(author=assistant)
    assert staff_client.post(tag_url(assistant), {"offered_prompts": [p.pk]}).status_code == 201


def test_tag_unknown_assistant_is_404(owner_client):
    r = owner_client.post("/api/v1/assistants/999999/mentorship/tag/", {"offered_prompts": [1]})
    assert r.status_code == 404
    assert (
        owner_client.get("/api/v1/assistants/9999999999999999999999/mentorship/").status_code == 404
    )


@pytest.mark.parametrize(
    ("make_body", "attr", "code"),
    [
        (
            lambda a, o: {"offered_prompts": [PromptFactory(author=o).pk]},
            "offered_prompts",
            "prompt_not_own",
        ),
        (
            lambda a, o: {"offered_prompts": [PromptFactory(author=a, is_public=False).pk]},
            "offered_prompts",
            "prompt_not_own",
        ),
        (lambda a, o: {"offered_prompts": [987654]}, "offered_prompts", "does_not_exist"),
        (lambda a, o: {"offered_prompts": []}, "offered_prompts", "min_length"),
        (lambda a, o: {"offered_prompts": "x"}, "offered_prompts", "not_a_list"),
        (lambda a, o: {"offered_prompts": [2**70]}, "offered_prompts.0", "max_value"),
        (lambda a, o: {}, "offered_prompts", "required"),
        (
            lambda a, o: {
                "offered_prompts": [PromptFactory(author=a).pk],
                "mentorship_notes": "n" * 5001,
            },
            "mentorship_notes",
            "max_length",
        ),
    ],
)
def test_tag_bad_input(owner_client, assistant, other_assistant, make_body, attr, code):
    r = owner_client.post(tag_url(assistant), make_body(assistant, other_assistant), format="json")
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert not AssistantMentorTag.objects.exists()


# Page ---------------------------------------------------------------------------------------


def test_mentorship_page(anon_client, assistant, other_assistant):
    tag = mentor_make(assistant)
    offered = sorted(tag.offered_prompts.values_list("id", flat=True))
    for i in range(12):
        PromptMentorshipLog.objects.create(
            mentor=assistant, mentee=other_assistant, mutation_notes=f"n{i}"
        )
    PromptMentorshipLog.objects.create(mentor=other_assistant, mentee=assistant)
    r = anon_client.get(page_url(assistant))
    assert r.status_code == 200
    body = r.json()
    assert body["is_mentor"] is True
    assert body["mentorship_notes"] == "Ask me."
    assert body["mentor_score"] == 0.0
    assert [p["id"] for p in body["offered_prompts"]] == offered
    assert len(body["mentorships_given"]) == 10  # bounded
    assert body["mentorships_given"][0]["mutation_notes"] == "n11"  # newest first
    assert len(body["mentorships_received"]) == 1

    body = anon_client.get(page_url(other_assistant)).json()
    assert body["is_mentor"] is False
    assert body["mentor_score"] is None
    assert body["offered_prompts"] == []


def test_mentorship_page_queries_do_not_grow(anon_client, assistant, other_assistant):
    mentor_make(assistant, prompts=1)
    PromptMentorshipLog.objects.create(mentor=assistant, mentee=other_assistant)
    PromptMentorshipLog.objects.create(mentor=other_assistant, mentee=assistant)
    n_small, _ = count_queries(lambda: anon_client.get(page_url(assistant)))
    mentor_make(assistant, prompts=8)
    for _ in range(15):
        log = PromptMentorshipLog.objects.create(mentor=assistant, mentee=other_assistant)
        log.prompt_set.set(assistant.prompts.all())
        PromptMentorshipLog.objects.create(mentor=other_assistant, mentee=assistant)
    n_big, _ = count_queries(lambda: anon_client.get(page_url(assistant)))
    assert n_small == n_big <= 8
