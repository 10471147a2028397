"""/assistants/{id}/mentorship/ (page), .../tag/ (opt in, change, opt out), .../adopt/."""

import pytest

from core.models import PromptLicence
from core.services import prompt_update
from mentorship.models import AssistantMentorTag, PromptMentorshipLog
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory
from tests.mentorship.factories import mentor_make

pytestmark = pytest.mark.django_db


def tag_url(a):
    return f"/api/v1/assistants/{a.pk}/mentorship/tag/"


def adopt_url(a):
    return f"/api/v1/assistants/{a.pk}/mentorship/adopt/"


def page_url(a):
    return f"/api/v1/assistants/{a.pk}/mentorship/"


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


# Adopt --------------------------------------------------------------------------------------


def test_adopt_all_offered_prompts(other_client, assistant, other_assistant):
    """The seed's goal: a mentorship log stores the shared prompts and the mutation notes."""
    tag = mentor_make(assistant, prompts=3)
    offered = set(tag.offered_prompts.values_list("id", flat=True))
    edited = tag.offered_prompts.order_by("id").first()
    prompt_update(prompt=edited, body="Edited before the adoption.")
    r = other_client.post(
        adopt_url(assistant), {"mentee": other_assistant.pk, "mutation_notes": "Softer tone."}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body["prompt_set"]) == offered
    assert body["mutation_notes"] == "Softer tone."
    assert body["trust_delta"] is None
    log = PromptMentorshipLog.objects.get()
    assert (log.mentor, log.mentee) == (assistant, other_assistant)
    assert set(log.prompt_set.values_list("id", flat=True)) == offered
    assert log.mutation_notes == "Softer tone."
    licences = PromptLicence.objects.filter(assistant=other_assistant)
    assert set(licences.values_list("prompt_id", flat=True)) == offered
    assert set(licences.values_list("source", flat=True)) == {"mentorship"}
    # Each licence records the version it was granted at: the prompt's newest.
    granted = {lic.prompt_id: lic.version.number for lic in licences.select_related("version")}
    assert granted == {pid: 2 if pid == edited.pk else 1 for pid in offered}


def test_adopt_subset_and_again(other_client, assistant, other_assistant):
    tag = mentor_make(assistant, prompts=3)
    first = tag.offered_prompts.order_by("id").first()
    r = other_client.post(
        adopt_url(assistant), {"mentee": other_assistant.pk, "prompts": [first.pk]}
    )
    assert r.status_code == 201
    assert r.json()["prompt_set"] == [first.pk]
    assert PromptLicence.objects.filter(assistant=other_assistant).count() == 1
    # Adopting again is a new log; licences already held are kept, not duplicated.
    r = other_client.post(adopt_url(assistant), {"mentee": other_assistant.pk})
    assert r.status_code == 201
    assert PromptMentorshipLog.objects.count() == 2
    assert PromptLicence.objects.filter(assistant=other_assistant).count() == 3


def test_adopted_licence_opens_a_for_sale_body(other_client, assistant, other_assistant):
    tag = mentor_make(assistant, prompts=1)
    prompt = tag.offered_prompts.get()
    ListingFactory(prompt=prompt, token_cost_cents=500)
    assert other_client.get(f"/api/v1/prompts/{prompt.pk}/").json()["body"] is None
    other_client.post(adopt_url(assistant), {"mentee": other_assistant.pk})
    assert other_client.get(f"/api/v1/prompts/{prompt.pk}/").json()["body"] == prompt.body


def test_adopt_not_offered_prompt_is_400(other_client, assistant, other_assistant):
    mentor_make(assistant)
    stray = PromptFactory(author=assistant)
    r = other_client.post(
        adopt_url(assistant), {"mentee": other_assistant.pk, "prompts": [stray.pk]}
    )
    assert r.status_code == 400
    assert error_codes(r) == ["prompt_not_offered"]
    assert not PromptMentorshipLog.objects.exists()
    assert not PromptLicence.objects.exists()


def test_adopt_from_non_mentor_is_409(other_client, assistant, other_assistant):
    r = other_client.post(adopt_url(assistant), {"mentee": other_assistant.pk})
    assert r.status_code == 409
    assert error_codes(r) == ["not_a_mentor"]
    assert not PromptMentorshipLog.objects.exists()


def test_adopt_after_opt_out_is_409(owner_client, other_client, assistant, other_assistant):
    mentor_make(assistant)
    owner_client.delete(tag_url(assistant))
    r = other_client.post(adopt_url(assistant), {"mentee": other_assistant.pk})
    assert error_codes(r) == ["not_a_mentor"]


def test_adopt_from_itself_is_400(owner_client, assistant):
    mentor_make(assistant)
    r = owner_client.post(adopt_url(assistant), {"mentee": assistant.pk})
    assert r.status_code == 400
    assert error_codes(r) == ["cannot_mentor_self"]
    assert not PromptMentorshipLog.objects.exists()


def test_adopt_as_someone_elses_assistant_is_403(owner_client, assistant, other_assistant):
    mentor = AssistantFactory()
    mentor_make(mentor)
    r = owner_client.post(adopt_url(mentor), {"mentee": other_assistant.pk})
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert not PromptMentorshipLog.objects.exists()


def test_adopt_needs_auth(anon_client, assistant, other_assistant):
    mentor_make(assistant)
    assert anon_client.post(adopt_url(assistant), {"mentee": other_assistant.pk}).status_code == 401


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"mentee": 999999}, "mentee", "does_not_exist"),
        ({"mentee": "x"}, "mentee", "incorrect_type"),
        ({"mentee": None}, "mentee", "null"),
        ({"prompts": []}, "prompts", "min_length"),
        ({"prompts": [999999]}, "prompts", "does_not_exist"),
        ({"prompts": ["a"]}, "prompts.0", "invalid"),
        ({"mutation_notes": "n" * 5001}, "mutation_notes", "max_length"),
    ],
)
def test_adopt_bad_input(other_client, assistant, other_assistant, body, attr, code):
    mentor_make(assistant)
    r = other_client.post(
        adopt_url(assistant), {"mentee": other_assistant.pk, **body}, format="json"
    )
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert not PromptMentorshipLog.objects.exists()


def test_adopt_queries_do_not_grow_with_prompts(other_client, assistant, other_assistant):
    mentor_make(assistant, prompts=1)
    small, r = count_queries(
        lambda: other_client.post(adopt_url(assistant), {"mentee": other_assistant.pk})
    )
    assert r.status_code == 201
    mentor_make(assistant, prompts=20)
    big, r = count_queries(
        lambda: other_client.post(adopt_url(assistant), {"mentee": other_assistant.pk})
    )
    assert r.status_code == 201
    assert small == big
