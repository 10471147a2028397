"""/market/curriculum/: CRUD, exported_json, adoption_rate, buy and clone."""

import pytest

from core.models import Assistant, PromptLicence
from economy.models import LedgerEntry, Wallet
from mentorship.models import CurriculumAdoption, PromptCurriculumVault
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.economy.factories import LicenceFactory
from tests.factories import AssistantFactory, CodexClauseFactory, PromptFactory
from tests.mentorship.factories import bundle_make, curriculum_make

from .conftest import run_in_threads

pytestmark = pytest.mark.django_db
URL = "/api/v1/market/curriculum/"


def balance(assistant) -> int:
    return Wallet.objects.get(assistant=assistant).balance_cents


def buy(client, curriculum, buyer, **headers):
    return client.post(f"{URL}{curriculum.pk}/buy/", {"buyer": buyer.pk}, format="json", **headers)


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


# Buy ----------------------------------------------------------------------------------------


def test_buy(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=1000, steps=3)
    step_prompts = set(c.ritual_tags.get().rituals.get().steps.values_list("prompt_id", flat=True))
    before_buyer, before_curator = balance(other_assistant), balance(assistant)
    r = buy(other_client, c, other_assistant)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["amount"] == "10.00"
    entry = LedgerEntry.objects.get(pk=body["ledger_entry"])
    assert entry.kind == "curriculum_purchase"
    assert entry.amount_cents == 1000
    assert entry.payer.assistant == other_assistant
    assert entry.payee.assistant == assistant
    assert balance(other_assistant) == before_buyer - 1000
    assert balance(assistant) == before_curator + 1000
    assert CurriculumAdoption.objects.get().source == "purchase"
    licences = PromptLicence.objects.filter(assistant=other_assistant)
    assert set(licences.values_list("prompt_id", flat=True)) == step_prompts
    assert set(licences.values_list("source", flat=True)) == {"curriculum"}
    detail = other_client.get(f"{URL}{c.pk}/").json()
    assert detail["adopter_count"] == 1
    assert detail["adoption_rate"] == pytest.approx(1 / Assistant.objects.count())


def test_buy_licenses_only_the_curators_own_step_prompts(other_client, assistant, other_assistant):
    stranger = AssistantFactory()
    foreign = PromptFactory(author=stranger)  # free and public: the curator may use it
    own = PromptFactory(author=assistant)
    c = curriculum_make(assistant, bundles=[bundle_make(assistant, prompts=[own, foreign])])
    assert buy(other_client, c, other_assistant).status_code == 201
    assert list(PromptLicence.objects.values_list("prompt_id", flat=True)) == [own.pk]


def test_buy_free_curriculum_records_no_entry(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=0)
    entries = LedgerEntry.objects.count()
    r = buy(other_client, c, other_assistant)
    assert r.status_code == 201
    assert r.json()["ledger_entry"] is None
    assert LedgerEntry.objects.count() == entries
    assert CurriculumAdoption.objects.count() == 1


def test_buy_twice_is_409_already_owned(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=100)
    buy(other_client, c, other_assistant)
    before = balance(other_assistant)
    r = buy(other_client, c, other_assistant)
    assert r.status_code == 409
    assert error_codes(r) == ["already_owned"]
    assert balance(other_assistant) == before


def test_buy_without_funds_changes_nothing(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=balance(other_assistant) + 1)
    entries = LedgerEntry.objects.count()
    r = buy(other_client, c, other_assistant)
    assert r.status_code == 409
    assert error_codes(r) == ["insufficient_funds"]
    assert LedgerEntry.objects.count() == entries
    assert not CurriculumAdoption.objects.exists()
    assert not PromptLicence.objects.exists()
    c.refresh_from_db()
    assert c.adopter_count == 0


def test_buy_inactive_is_409(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, is_active=False)
    r = buy(other_client, c, other_assistant)
    assert r.status_code == 409
    assert error_codes(r) == ["listing_inactive"]


def test_buy_own_is_400(owner_client, assistant):
    c = curriculum_make(assistant)
    r = buy(owner_client, c, assistant)
    assert r.status_code == 400
    assert error_codes(r) == ["cannot_buy_own"]
    assert not CurriculumAdoption.objects.exists()


def test_buy_as_someone_elses_assistant_is_403(owner_client, other_assistant):
    c = curriculum_make(AssistantFactory())
    r = buy(owner_client, c, other_assistant)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]


def test_buy_needs_auth_and_an_existing_curriculum(anon_client, other_client, other_assistant):
    c = curriculum_make(AssistantFactory())
    assert buy(anon_client, c, other_assistant).status_code == 401
    r = other_client.post(f"{URL}999999/buy/", {"buyer": other_assistant.pk})
    assert r.status_code == 404


def test_buy_with_idempotency_key_charges_once(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=700)
    before = balance(other_assistant)
    first = buy(other_client, c, other_assistant, HTTP_IDEMPOTENCY_KEY="k-1")
    again = buy(other_client, c, other_assistant, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert balance(other_assistant) == before - 700
    other = curriculum_make(assistant, cost_cents=100)
    r = buy(other_client, other, other_assistant, HTTP_IDEMPOTENCY_KEY="k-1")
    assert r.status_code == 409
    assert error_codes(r) == ["idempotency_key_reused"]
    assert balance(other_assistant) == before - 700


def test_buy_queries_do_not_grow_with_steps(client_for, assistant):
    small_c = curriculum_make(assistant, steps=1)
    big_c = curriculum_make(assistant, bundles=[bundle_make(assistant, steps=10) for _ in range(3)])
    b1, b2 = AssistantFactory(), AssistantFactory()
    small, r1 = count_queries(lambda: buy(client_for(b1.owner), small_c, b1))
    big, r2 = count_queries(lambda: buy(client_for(b2.owner), big_c, b2))
    assert r1.status_code == r2.status_code == 201
    assert small == big


@pytest.mark.django_db(transaction=True)
def test_concurrent_buys_by_one_buyer_charge_once(client_for):
    curator, buyer = AssistantFactory(), AssistantFactory()
    c = curriculum_make(curator, cost_cents=100)
    client = client_for(buyer.owner)
    before = balance(buyer)
    codes = run_in_threads(*[lambda: buy(client, c, buyer).status_code for _ in range(4)])
    assert sorted(codes) == [201, 409, 409, 409]
    assert balance(buyer) == before - 100
    assert CurriculumAdoption.objects.count() == 1
    c.refresh_from_db()
    assert c.adopter_count == 1


# Clone --------------------------------------------------------------------------------------


def clone(client, curriculum, assistant):
    return client.post(f"{URL}{curriculum.pk}/clone/", {"assistant": assistant.pk}, format="json")


def test_clone_free_curriculum(other_client, assistant, other_assistant):
    CodexClauseFactory(code="memory")
    c = curriculum_make(assistant, cost_cents=0, codex_alignment={"memory": 0.5})
    r = clone(other_client, c, other_assistant)
    assert r.status_code == 201, r.content
    body = r.json()
    copy = PromptCurriculumVault.objects.get(pk=body["id"])
    assert copy.curator == other_assistant
    assert copy.cloned_from == c
    assert copy.codex_alignment == {"memory": 0.5}
    assert list(copy.ritual_tags.all()) == list(c.ritual_tags.all())
    assert copy.exported_json["curriculum"]["curator"] == other_assistant.pk
    assert copy.exported_json["bundles"] == c.exported_json["bundles"]
    c.refresh_from_db()
    assert c.adopter_count == 1
    assert CurriculumAdoption.objects.get().source == "clone"


def test_clone_paid_needs_adoption(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=500)
    r = clone(other_client, c, other_assistant)
    assert r.status_code == 403
    assert error_codes(r) == ["not_adopted"]
    assert PromptCurriculumVault.objects.count() == 1
    buy(other_client, c, other_assistant)
    r = clone(other_client, c, other_assistant)
    assert r.status_code == 201
    c.refresh_from_db()
    assert c.adopter_count == 1  # cloning what you bought is not a second adoption


def test_clone_inactive_free_is_409_but_adopted_is_fine(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=0, is_active=False)
    r = clone(other_client, c, other_assistant)
    assert r.status_code == 409
    assert error_codes(r) == ["listing_inactive"]
    CurriculumAdoption.objects.create(curriculum=c, assistant=other_assistant, source="barter")
    assert clone(other_client, c, other_assistant).status_code == 201


def test_clone_own_is_400(owner_client, assistant):
    c = curriculum_make(assistant, cost_cents=0)
    r = clone(owner_client, c, assistant)
    assert r.status_code == 400
    assert error_codes(r) == ["cannot_clone_own"]


def test_clone_as_someone_elses_assistant_is_403(owner_client, other_assistant):
    c = curriculum_make(AssistantFactory(), cost_cents=0)
    r = clone(owner_client, c, other_assistant)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]


def test_clone_needs_auth(anon_client, other_assistant):
    c = curriculum_make(AssistantFactory(), cost_cents=0)
    assert clone(anon_client, c, other_assistant).status_code == 401


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
    from core.models import PromptLicence

    c = curriculum_make(assistant)
    prompt = c.ritual_tags.get().rituals.get().steps.first().prompt
    r = owner_client.delete(f"/api/v1/prompts/{prompt.pk}/")
    assert r.status_code == 409  # a ritual step uses it
    assert r.json()["errors"][0]["code"] == "protected"
    free = PromptFactory(author=assistant)
    LicenceFactory(assistant=other_assistant, prompt=free)
    assert owner_client.delete(f"/api/v1/prompts/{free.pk}/").status_code == 409
    assert PromptLicence.objects.filter(prompt=free).exists()
