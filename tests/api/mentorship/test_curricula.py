"""/market/curriculum/: CRUD, exported_json, adoption_rate, buy and clone."""

import pytest

from core.models import PromptLicence
from mentorship.models import CurriculumAdoption, PromptCurriculumVault
from tests.api.mentorship.curricula_helpers import URL
from tests.conftest import assert_list_queries_constant, error_codes
from tests.economy.factories import LicenceFactory
from tests.factories import CodexClauseFactory, PromptFactory
from tests.mentorship.factories import bundle_make, curriculum_make

pytestmark = pytest.mark.django_db


# Create, update, delete, list ----------------------------------------------------------------


def test_create_curriculum(owner_client, assistant):
    CodexClauseFactory(code="memory")
    CodexClauseFactory(code="care")
    bundle = bundle_make(assistant, tag_name="dawn")
    r = owner_client.post(
        URL,
        {
            "curator": assistant.pk,
            "curriculum_title": "Dawn course",
            "ritual_tags": [bundle.pk],
            "codex_alignment": {"memory": 0.9, "care": 0},
            "token_cost": "12.50",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["token_cost"] == "12.50"
    assert body["adoption_rate"] == 0.0
    assert body["adopter_count"] == 0
    assert body["ritual_tags"] == [bundle.pk]
    exported = body["exported_json"]
    assert exported["curriculum"]["title"] == "Dawn course"
    assert exported["curriculum"]["codex_alignment"] == {"care": 0, "memory": 0.9}
    assert exported["bundles"][0]["tag_name"] == "dawn"
    c = PromptCurriculumVault.objects.get()
    assert (c.curator, c.token_cost_cents, c.exported_json) == (assistant, 1250, exported)


def test_derived_fields_are_read_only(owner_client, assistant):
    r = owner_client.post(
        URL,
        {
            "curator": assistant.pk,
            "curriculum_title": "x",
            "adoption_rate": 1,
            "adopter_count": 9,
            "exported_json": {"forged": True},
        },
        format="json",
    )
    assert r.status_code == 201
    c = PromptCurriculumVault.objects.get()
    assert c.adopter_count == 0
    assert "forged" not in c.exported_json


@pytest.mark.parametrize(
    ("patch", "attr", "code"),
    [
        ({"codex_alignment": {"nope": 0.5}}, "codex_alignment", "unknown_codex_clause"),
        ({"codex_alignment": {"memory": 1.5}}, "codex_alignment", "out_of_range"),
        ({"codex_alignment": {"memory": -0.1}}, "codex_alignment", "out_of_range"),
        ({"codex_alignment": {"memory": "high"}}, "codex_alignment", "out_of_range"),
        ({"codex_alignment": {"memory": True}}, "codex_alignment", "out_of_range"),
        ({"codex_alignment": [1]}, "codex_alignment", "not_an_object"),
        ({"codex_alignment": {"memory": "x" * 9000}}, "codex_alignment", "too_large"),
        ({"token_cost": "-1.00"}, "token_cost", "negative"),
        ({"token_cost": "1.005"}, "token_cost", "invalid"),
        ({"token_cost": "abc"}, "token_cost", "invalid"),
        ({"curriculum_title": "t" * 151}, "curriculum_title", "max_length"),
        ({"ritual_tags": [999999]}, "ritual_tags", "does_not_exist"),
        ({"curator": 999999}, "curator", "does_not_exist"),
    ],
)
def test_create_bad_input(owner_client, assistant, patch, attr, code):
    CodexClauseFactory(code="memory")
    body = {"curator": assistant.pk, "curriculum_title": "x", **patch}
    r = owner_client.post(URL, body, format="json")
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert not PromptCurriculumVault.objects.exists()


def test_create_as_someone_elses_assistant_is_403(owner_client, other_assistant):
    r = owner_client.post(URL, {"curator": other_assistant.pk, "curriculum_title": "x"})
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]


def test_create_needs_auth(anon_client, assistant):
    r = anon_client.post(URL, {"curator": assistant.pk, "curriculum_title": "x"})
    assert r.status_code == 401


def test_update_rebuilds_export(owner_client, assistant):
    c = curriculum_make(assistant)
    extra = bundle_make(assistant, tag_name="dusk")
    r = owner_client.patch(
        f"{URL}{c.pk}/",
        {"curriculum_title": "Renamed", "ritual_tags": [extra.pk], "token_cost": "3.00"},
        format="json",
    )
    assert r.status_code == 200, r.content
    c.refresh_from_db()
    assert c.token_cost_cents == 300
    assert c.exported_json["curriculum"]["title"] == "Renamed"
    assert [b["tag_name"] for b in c.exported_json["bundles"]] == ["dusk"]
    assert r.json()["exported_json"] == c.exported_json


def test_update_and_delete_by_non_curator_are_403(other_client, assistant):
    c = curriculum_make(assistant)
    r = other_client.patch(f"{URL}{c.pk}/", {"curriculum_title": "mine"})
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    assert other_client.delete(f"{URL}{c.pk}/").status_code == 403
    c.refresh_from_db()
    assert c.curriculum_title != "mine"


def test_delete(owner_client, assistant, other_assistant):
    c = curriculum_make(assistant)
    assert owner_client.delete(f"{URL}{c.pk}/").status_code == 204
    assert not PromptCurriculumVault.objects.exists()
    adopted = curriculum_make(assistant, cost_cents=0)
    CurriculumAdoption.objects.create(
        curriculum=adopted, assistant=other_assistant, source="purchase"
    )
    r = owner_client.delete(f"{URL}{adopted.pk}/")
    assert r.status_code == 409
    assert error_codes(r) == ["protected"]
    assert PromptCurriculumVault.objects.filter(pk=adopted.pk).exists()


def test_list_queries_and_filters(anon_client, assistant, other_assistant):
    shared = bundle_make(assistant)
    for i in range(3):
        curriculum_make(assistant, bundles=[shared, bundle_make(assistant)], cost_cents=i * 100)
    theirs = curriculum_make(other_assistant, cost_cents=0)
    assert assert_list_queries_constant(anon_client, URL) <= 4
    ids = lambda r: [c["id"] for c in r.json()["results"]]  # noqa: E731
    assert ids(anon_client.get(URL, {"curator": other_assistant.pk})) == [theirs.pk]
    assert len(ids(anon_client.get(URL, {"bundle": shared.pk}))) == 3
    assert len(ids(anon_client.get(URL, {"free": "true"}))) == 2
    costs = [
        c["token_cost"] for c in anon_client.get(URL, {"ordering": "-token_cost"}).json()["results"]
    ]
    assert costs == sorted(costs, key=float, reverse=True)
    assert anon_client.get(URL, {"curator": "x"}).status_code == 400


def test_ritual_and_prompt_edits_rebuild_the_export(owner_client, assistant):
    c = curriculum_make(assistant)
    ritual = c.ritual_tags.get().rituals.get()
    prompt = ritual.steps.first().prompt
    r = owner_client.patch(f"/api/v1/rituals/{ritual.pk}/", {"name": "Renamed rite"}, format="json")
    assert r.status_code == 200
    c.refresh_from_db()
    assert c.exported_json["bundles"][0]["rituals"][0]["name"] == "Renamed rite"
    r = owner_client.patch(
        f"/api/v1/prompts/{prompt.pk}/", {"title": "New title", "body": "new"}, format="json"
    )
    assert r.status_code == 200
    c.refresh_from_db()
    step = c.exported_json["bundles"][0]["rituals"][0]["steps"][0]
    assert step["title"] == "New title"
    assert step["content_hash"] == r.json()["content_hash"]


def test_deleting_a_ritual_rebuilds_the_export(owner_client, assistant):
    c = curriculum_make(assistant)
    ritual = c.ritual_tags.get().rituals.get()
    assert owner_client.delete(f"/api/v1/rituals/{ritual.pk}/").status_code == 204
    c.refresh_from_db()
    assert c.exported_json["bundles"][0]["rituals"] == []


def test_a_sold_prompt_cannot_be_deleted(owner_client, other_client, assistant, other_assistant):

    c = curriculum_make(assistant)
    prompt = c.ritual_tags.get().rituals.get().steps.first().prompt
    r = owner_client.delete(f"/api/v1/prompts/{prompt.pk}/")
    assert r.status_code == 409  # a ritual step uses it
    assert r.json()["errors"][0]["code"] == "protected"
    free = PromptFactory(author=assistant)
    LicenceFactory(assistant=other_assistant, prompt=free)
    assert owner_client.delete(f"/api/v1/prompts/{free.pk}/").status_code == 409
    assert PromptLicence.objects.filter(prompt=free).exists()
