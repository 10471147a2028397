"""Domain holes of the hardening review: copies of bought bodies stay private (vault import,
fork, mutation), one rule decides it."""

import pytest

from core.models import Prompt
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db
VAULTS = "/api/v1/vaults/"


def _export(client, owner, prompts):
    r = client.post(
        VAULTS, {"owner_assistant": owner.pk, "prompts": [p.pk for p in prompts]}, format="json"
    )
    assert r.status_code == 201, r.content
    r = client.get(f"{VAULTS}{r.json()['id']}/export/")
    assert r.status_code == 200, r.content
    return r.json()


def _import(client, assistant, data):
    r = client.post(f"{VAULTS}import/", {"assistant": assistant.pk, **data}, format="json")
    assert r.status_code == 201, r.content
    return [p["id"] for p in r.json()["prompts"]]


@pytest.fixture
def bought(owner_client, assistant):
    """A for-sale prompt of another user that ``assistant`` bought through the API."""
    listing = ListingFactory(
        prompt=PromptFactory(author=AssistantFactory(), title="Paid", body="the paid secret"),
        token_cost_cents=1000,
    )
    r = owner_client.post(
        f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": assistant.pk}, format="json"
    )
    assert r.status_code == 201, r.content
    return listing.prompt


def _assert_private_to_others(ids, *clients):
    for pid in ids:
        assert Prompt.objects.get(pk=pid).is_public is False
        for client in clients:
            r = client.get(f"/api/v1/prompts/{pid}/")
            assert r.status_code == 404, r.content
            assert r.json()["errors"][0]["code"] == "not_found"


def test_a_licensee_importing_a_bought_body_gets_private_copies(
    owner_client, anon_client, other_client, assistant, bought
):
    data = _export(owner_client, assistant, [bought])
    ids = _import(owner_client, assistant, data)
    _assert_private_to_others(ids, anon_client, other_client)
    # The importer still reads its own copy.
    r = owner_client.get(f"/api/v1/prompts/{ids[0]}/")
    assert (r.status_code, r.json()["body"]) == (200, "the paid secret")
    # Search does not find it for anyone else either.
    assert anon_client.get("/api/v1/prompts/", {"search": "Paid"}).json()["count"] == 1


def test_a_stranger_handed_the_export_gets_private_copies(
    owner_client, anon_client, other_client, client_for, assistant, other_assistant, bought
):
    data = _export(owner_client, assistant, [bought])
    ids = _import(other_client, other_assistant, data)
    third = client_for(UserFactory())
    _assert_private_to_others(ids, anon_client, third)
    assert Prompt.objects.get(pk=ids[0]).author == other_assistant


def test_a_free_public_prompt_round_trips_public(
    owner_client, anon_client, other_client, assistant, other_assistant
):
    free = PromptFactory(author=AssistantFactory(), body="free for all")
    own_private = PromptFactory(author=assistant, body="my draft", is_public=False)
    data = _export(owner_client, assistant, [free, own_private])
    ids = _import(other_client, other_assistant, data)
    created = {p.body: p for p in Prompt.objects.filter(pk__in=ids)}
    assert created["free for all"].is_public is True
    assert anon_client.get(f"/api/v1/prompts/{created['free for all'].pk}/").status_code == 200
    assert created["my draft"].is_public is False


def test_the_export_is_judged_by_what_is_public_at_import(
    owner_client, other_client, assistant, other_assistant
):
    """Listed for sale after the export: its copies start private."""
    prompt = PromptFactory(author=assistant, body="soon for sale")
    data = _export(owner_client, assistant, [prompt])
    ListingFactory(prompt=prompt, token_cost_cents=500)
    ids = _import(other_client, other_assistant, data)
    assert Prompt.objects.get(pk=ids[0]).is_public is False


def test_forks_and_mutations_of_a_bought_body_start_private(
    owner_client, anon_client, assistant, bought
):
    r = owner_client.post(f"/api/v1/prompts/{bought.pk}/fork/", {"assistant": assistant.pk})
    assert r.status_code == 201, r.content
    fork_id = r.json()["id"]
    r = owner_client.post(
        f"/api/v1/prompts/{bought.pk}/mutate/",
        {"assistant": assistant.pk, "body": "the paid secret, mutated", "belief_delta": 0.1},
        format="json",
    )
    assert r.status_code == 201, r.content
    _assert_private_to_others([fork_id, r.json()["mutated_prompt"]], anon_client)


# --- Codex clauses in use cannot be deleted -----------------------------------------------------


def _clause_users():
    """Ways a row can name the clause ``c``: each builds one such row."""
    from mentorship import services as mentorship_services
    from tests.factories import RitualFactory

    def prompt():
        PromptFactory(codex_clauses=["keep", "c"])

    def ritual():
        RitualFactory(owner=AssistantFactory(), codex_clauses=["c"])

    def bundle():
        mentorship_services.bundle_create(
            owner=AssistantFactory(), tag_name="t", codex_clauses=["c"]
        )

    def curriculum():
        mentorship_services.curriculum_create(
            curator=AssistantFactory(), curriculum_title="x", codex_alignment={"c": 0.5}
        )

    return {"prompt": prompt, "ritual": ritual, "bundle": bundle, "curriculum": curriculum}


@pytest.mark.parametrize("user_of_clause", ["prompt", "ritual", "bundle", "curriculum"])
def test_a_clause_in_use_is_not_deleted(
    staff_client, user_of_clause, django_assert_max_num_queries
):
    from tests.factories import CodexClauseFactory

    CodexClauseFactory(code="keep")
    CodexClauseFactory(code="c")
    _clause_users()[user_of_clause]()
    with django_assert_max_num_queries(9):  # one EXISTS per table naming clauses, at most
        r = staff_client.delete("/api/v1/codex-clauses/c/")
    assert r.status_code == 409, r.content
    assert r.json()["errors"][0]["code"] == "clause_in_use"
    from core.models import CodexClause

    assert CodexClause.objects.filter(code="c").exists()


def test_an_unused_clause_deletes_and_others_may_not(
    staff_client, owner_client, anon_client, django_assert_max_num_queries
):
    from core.models import CodexClause
    from tests.factories import CodexClauseFactory

    CodexClauseFactory(code="c")
    CodexClauseFactory(code="cc")  # a longer code naming it must not count as a use of "c"
    PromptFactory(codex_clauses=["cc"])
    assert owner_client.delete("/api/v1/codex-clauses/c/").status_code == 403
    assert anon_client.delete("/api/v1/codex-clauses/c/").status_code == 401
    assert staff_client.delete("/api/v1/codex-clauses/ghost/").status_code == 404
    with django_assert_max_num_queries(10):
        r = staff_client.delete("/api/v1/codex-clauses/c/")
    assert r.status_code == 204, r.content
    assert list(CodexClause.objects.values_list("code", flat=True)) == ["cc"]


def test_the_admin_refuses_to_delete_a_clause_in_use(client):
    from core.models import CodexClause
    from tests.factories import CodexClauseFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    used, unused = CodexClauseFactory(code="c"), CodexClauseFactory(code="free")
    PromptFactory(codex_clauses=["c"])
    r = client.post(f"/admin/core/codexclause/{used.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    r = client.post(
        "/admin/core/codexclause/",
        {"action": "delete_selected", "_selected_action": [used.pk], "post": "yes"},
    )
    assert CodexClause.objects.filter(pk=used.pk).exists()
    r = client.post(f"/admin/core/codexclause/{unused.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert list(CodexClause.objects.values_list("code", flat=True)) == ["c"]


# --- Delisted listings: no reprice, no adoption counted ----------------------------------------


def test_a_delisted_listing_is_not_repriced_and_inject_counts_no_adoption(
    owner_client, other_client, assistant, other_assistant
):
    from economy.models import ListingAdoption, PromptTokenListing
    from tests.economy.factories import LicenceFactory

    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
    LicenceFactory(assistant=other_assistant, prompt=listing.prompt)
    r = owner_client.post(f"/api/v1/market/prompts/{listing.pk}/delist/")
    assert r.status_code == 200, r.content
    r = owner_client.patch(
        f"/api/v1/market/prompts/{listing.pk}/", {"token_cost": "95.00"}, format="json"
    )
    assert (r.status_code, r.json()["errors"][0]["code"]) == (409, "listing_inactive")
    r = other_client.post(
        f"/api/v1/market/prompts/{listing.pk}/inject/",
        {"assistant": other_assistant.pk},
        format="json",
    )
    assert r.status_code == 201, r.content
    listing = PromptTokenListing.objects.get(pk=listing.pk)
    assert (listing.token_cost_cents, listing.adopter_count) == (100, 0)
    assert not ListingAdoption.objects.exists()
