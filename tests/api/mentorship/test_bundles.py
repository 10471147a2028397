"""/ritual-bundles/: create, update, delete, adoption_metric, and re-export of curricula."""

import pytest

from core.models import Assistant
from mentorship import services
from mentorship.models import PromptCurriculumVault, RitualTagBundle
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.factories import AssistantFactory, CodexClauseFactory, RitualFactory
from tests.mentorship.factories import bundle_make, curriculum_make

pytestmark = pytest.mark.django_db
URL = "/api/v1/ritual-bundles/"


def test_create_bundle(owner_client, assistant):
    CodexClauseFactory(code="memory")
    ritual = RitualFactory(owner=assistant)
    r = owner_client.post(
        URL,
        {
            "owner": assistant.pk,
            "tag_name": "dawn",
            "rituals": [ritual.pk],
            "codex_clauses": ["memory"],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["rituals"] == [ritual.pk]
    assert body["adoption_metric"] == 0.0
    bundle = RitualTagBundle.objects.get()
    assert (bundle.owner, bundle.tag_name, bundle.codex_clauses) == (assistant, "dawn", ["memory"])
    assert list(bundle.rituals.all()) == [ritual]


def test_adoption_metric_is_read_only(owner_client, assistant):
    r = owner_client.post(URL, {"owner": assistant.pk, "tag_name": "x", "adoption_metric": 0.9})
    assert r.status_code == 201
    assert r.json()["adoption_metric"] == 0.0


def test_adoption_metric_counts_distinct_adopters_of_curricula(anon_client, assistant):
    """The seed's goal: bundles track adoption. Two curricula share a bundle; one buyer adopts
    both, another adopts one: 2 distinct adopters out of all assistants."""
    bundle = bundle_make(assistant)
    c1 = curriculum_make(assistant, bundles=[bundle], cost_cents=0)
    c2 = curriculum_make(assistant, bundles=[bundle], cost_cents=0)
    buyer, buyer2 = AssistantFactory(), AssistantFactory()
    services.curriculum_buy(curriculum=c1, buyer=buyer)
    services.curriculum_buy(curriculum=c2, buyer=buyer)
    services.curriculum_buy(curriculum=c2, buyer=buyer2)
    body = anon_client.get(f"{URL}{bundle.pk}/").json()
    assert body["adoption_metric"] == pytest.approx(2 / Assistant.objects.count())


def test_create_as_someone_elses_assistant_is_403(owner_client, other_assistant):
    r = owner_client.post(URL, {"owner": other_assistant.pk, "tag_name": "x"})
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert not RitualTagBundle.objects.exists()


def test_create_needs_auth(anon_client, assistant):
    assert anon_client.post(URL, {"owner": assistant.pk, "tag_name": "x"}).status_code == 401


@pytest.mark.parametrize(
    ("make_body", "attr", "code"),
    [
        (lambda o: {"rituals": [RitualFactory(owner=o).pk]}, "rituals", "ritual_not_own"),
        (lambda o: {"rituals": [999999]}, "rituals", "does_not_exist"),
        (lambda o: {"codex_clauses": ["nope"]}, "codex_clauses", "unknown_codex_clause"),
        (lambda o: {"tag_name": "t" * 51}, "tag_name", "max_length"),
        (lambda o: {"tag_name": ""}, "tag_name", "blank"),
        (lambda o: {"rituals": {"a": 1}}, "rituals", "not_a_list"),
    ],
)
def test_create_bad_input(owner_client, assistant, other_assistant, make_body, attr, code):
    body = {"owner": assistant.pk, "tag_name": "dawn", **make_body(other_assistant)}
    r = owner_client.post(URL, body, format="json")
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert not RitualTagBundle.objects.exists()


def test_update_re_exports_curricula_containing_it(owner_client, assistant):
    bundle = bundle_make(assistant, tag_name="dawn")
    curricula = [curriculum_make(assistant, bundles=[bundle]) for _ in range(2)]
    new_ritual = RitualFactory(owner=assistant)
    r = owner_client.patch(f"{URL}{bundle.pk}/", {"tag_name": "dusk", "rituals": [new_ritual.pk]})
    assert r.status_code == 200, r.content
    for c in curricula:
        c.refresh_from_db()
        [exported] = c.exported_json["bundles"]
        assert exported["tag_name"] == "dusk"
        assert [rit["id"] for rit in exported["rituals"]] == [new_ritual.pk]


def test_update_queries_do_not_grow_with_curricula(owner_client, assistant):
    bundle = bundle_make(assistant)
    curriculum_make(assistant, bundles=[bundle])
    small, _ = count_queries(lambda: owner_client.patch(f"{URL}{bundle.pk}/", {"tag_name": "a"}))
    for _ in range(10):
        curriculum_make(assistant, bundles=[bundle, bundle_make(assistant)])
    big, _ = count_queries(lambda: owner_client.patch(f"{URL}{bundle.pk}/", {"tag_name": "b"}))
    assert small == big


def test_owner_cannot_be_changed(owner_client, assistant, other_assistant):
    bundle = bundle_make(assistant)
    r = owner_client.patch(f"{URL}{bundle.pk}/", {"owner": other_assistant.pk})
    assert r.status_code == 200
    bundle.refresh_from_db()
    assert bundle.owner == assistant


def test_update_and_delete_by_others_are_403(other_client, assistant):
    bundle = bundle_make(assistant, tag_name="dawn")
    r = other_client.patch(f"{URL}{bundle.pk}/", {"tag_name": "mine"})
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    assert other_client.delete(f"{URL}{bundle.pk}/").status_code == 403
    bundle.refresh_from_db()
    assert bundle.tag_name == "dawn"


def test_delete_re_exports_curricula(owner_client, assistant):
    keep, drop = bundle_make(assistant), bundle_make(assistant)
    curriculum = curriculum_make(assistant, bundles=[keep, drop])
    assert owner_client.delete(f"{URL}{drop.pk}/").status_code == 204
    curriculum.refresh_from_db()
    assert [b["id"] for b in curriculum.exported_json["bundles"]] == [keep.pk]
    assert list(curriculum.ritual_tags.all()) == [keep]


def test_list_filters_and_queries(anon_client, assistant, other_assistant):
    bundles = [bundle_make(assistant, tag_name=f"t{i}") for i in range(3)]
    other = bundle_make(other_assistant, tag_name="other")
    curriculum_make(assistant, bundles=bundles)
    assert assert_list_queries_constant(anon_client, URL) <= 4
    r = anon_client.get(URL, {"owner": other_assistant.pk})
    assert [b["id"] for b in r.json()["results"]] == [other.pk]
    r = anon_client.get(URL, {"tag_name": "t1"})
    assert [b["id"] for b in r.json()["results"]] == [bundles[1].pk]
    ritual = bundles[2].rituals.get()
    r = anon_client.get(URL, {"ritual": ritual.pk})
    assert [b["id"] for b in r.json()["results"]] == [bundles[2].pk]
    assert anon_client.get(URL, {"ordering": "-adopters"}).status_code == 200
    assert anon_client.get(URL, {"owner": "x"}).status_code == 400


def test_curriculum_snapshot_lists_bundle_rituals_and_steps(assistant):
    bundle = bundle_make(assistant, steps=3)
    curriculum = curriculum_make(assistant, bundles=[bundle])
    assert PromptCurriculumVault.objects.get().pk == curriculum.pk
    [exported] = curriculum.exported_json["bundles"]
    ritual = bundle.rituals.get()
    steps = exported["rituals"][0]["steps"]
    assert [s["prompt"] for s in steps] == [
        st.prompt_id for st in ritual.steps.order_by("position")
    ]
    assert all("body" not in s for s in steps)
