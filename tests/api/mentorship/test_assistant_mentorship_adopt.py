"""/assistants/{id}/mentorship/adopt/: adopting a mentor's offered prompts."""

import pytest

from core.models import PromptLicence
from core.services import prompt_update
from mentorship.models import PromptMentorshipLog
from tests.api.mentorship.assistant_mentorship_helpers import adopt_url, tag_url
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory
from tests.mentorship.factories import mentor_make

pytestmark = pytest.mark.django_db


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
