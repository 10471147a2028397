"""/market/curriculum/{id}/buy/ and /clone/: buying a curriculum (tokens, licences, idempotency,
concurrency) and cloning one."""

import pytest

from core.models import Assistant, PromptLicence
from economy.models import LedgerEntry
from mentorship.models import CurriculumAdoption, PromptCurriculumVault
from tests.api.mentorship.curricula_helpers import URL, balance, buy, clone
from tests.conftest import count_queries, error_codes
from tests.factories import AssistantFactory, CodexClauseFactory, PromptFactory
from tests.mentorship.factories import bundle_make, curriculum_make

from .conftest import run_in_threads

pytestmark = pytest.mark.django_db


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
