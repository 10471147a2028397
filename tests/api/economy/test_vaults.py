import copy
import hashlib
import hmac
import json

import pytest

from core.models import Prompt
from economy.models import PromptMarketplaceVault
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/vaults/"


def canonical_signature(data, key) -> str:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()


@pytest.fixture
def vault_prompts(assistant):
    return [
        PromptFactory(author=assistant, title="One", body="first body", tags=["a"]),
        PromptFactory(author=assistant, title="Two", body="second ✨ body", tags=[]),
    ]


def create(client, owner, prompts, **kw):
    return client.post(
        URL, {"owner_assistant": owner.id, "prompts": [p.id for p in prompts], **kw}, format="json"
    )


def test_create_vault_signs_export(settings, owner_client, assistant, vault_prompts):
    r = create(owner_client, assistant, vault_prompts, name="Bundle")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["prompts"] == sorted(p.id for p in vault_prompts)
    exported = body["exported_json"]
    assert exported["format_version"] == 1
    assert exported["owner"]["assistant"] == assistant.id
    assert [
        (e["source_id"], e["title"], e["body"], e["tags"], e["content_hash"])
        for e in exported["prompts"]
    ] == [(p.id, p.title, p.body, p.tags, p.content_hash) for p in vault_prompts]
    assert body["symbolic_signature"] == canonical_signature(exported, settings.VAULT_SIGNING_KEY)
    vault = PromptMarketplaceVault.objects.get()
    assert set(vault.prompt_set.all()) == set(vault_prompts)
    r = owner_client.get(f"{URL}{vault.id}/export/")
    assert r.json() == {"exported_json": exported, "symbolic_signature": body["symbolic_signature"]}


def test_client_cannot_set_signature_or_export(owner_client, assistant, vault_prompts):
    r = create(
        owner_client, assistant, vault_prompts, symbolic_signature="forged", exported_json={"x": 1}
    )
    assert r.status_code == 201
    assert r.json()["symbolic_signature"] != "forged"
    assert r.json()["exported_json"]["format_version"] == 1


def test_vault_needs_readable_prompts(other_client, assistant, other_assistant):
    for_sale = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100).prompt
    r = create(other_client, other_assistant, [for_sale])
    assert r.status_code == 400
    assert error_codes(r) == ["prompt_not_readable"]
    private = PromptFactory(author=assistant, is_public=False)
    r = create(other_client, other_assistant, [private])
    assert r.status_code == 400
    assert error_codes(r) == ["does_not_exist"]
    LicenceFactory(assistant=other_assistant, prompt=for_sale)
    assert create(other_client, other_assistant, [for_sale]).status_code == 201


def test_vault_denials_and_bad_input(
    anon_client, owner_client, other_client, assistant, vault_prompts
):
    assert create(anon_client, assistant, vault_prompts).status_code == 401
    r = create(other_client, assistant, vault_prompts)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    for bad in (
        {"prompts": []},
        {"prompts": ["x"]},
        {"prompts": [0]},
        {"prompts": list(range(1, 102))},
        {"prompts": [10**30]},
    ):
        r = owner_client.post(URL, {"owner_assistant": assistant.id, **bad}, format="json")
        assert r.status_code == 400, bad
    assert PromptMarketplaceVault.objects.count() == 0


def test_vaults_are_the_owners_alone(
    anon_client, owner_client, other_client, staff_client, assistant, vault_prompts
):
    vid = create(owner_client, assistant, vault_prompts).json()["id"]
    assert anon_client.get(URL).status_code == 401
    assert other_client.get(URL).json()["count"] == 0
    assert owner_client.get(URL).json()["count"] == 1
    for url in (f"{URL}{vid}/", f"{URL}{vid}/export/"):
        assert other_client.get(url).status_code == 404
        assert owner_client.get(url).status_code == 200
        assert staff_client.get(url).status_code == 200
    assert other_client.delete(f"{URL}{vid}/").status_code == 404
    assert owner_client.delete(f"{URL}{vid}/").status_code == 204
    assert not PromptMarketplaceVault.objects.exists()


def test_vault_list_queries_constant(owner_client, assistant, vault_prompts):
    for _ in range(3):
        create(owner_client, assistant, vault_prompts)
    assert assert_list_queries_constant(owner_client, URL) <= 4


def test_vault_create_queries_do_not_grow_with_prompts(owner_client, assistant):
    few = [PromptFactory(author=assistant) for _ in range(2)]
    many = [PromptFactory(author=assistant) for _ in range(20)]
    n_few, _ = count_queries(lambda: create(owner_client, assistant, few))
    n_many, _ = count_queries(lambda: create(owner_client, assistant, many))
    assert n_few == n_many


def export_of(client, assistant, prompts):
    vid = create(client, assistant, prompts).json()["id"]
    return client.get(f"{URL}{vid}/export/").json()


def test_import_round_trip(owner_client, other_client, assistant, other_assistant, vault_prompts):
    data = export_of(owner_client, assistant, vault_prompts)
    before = Prompt.objects.count()
    r = other_client.post(f"{URL}import/", {"assistant": other_assistant.id, **data}, format="json")
    assert r.status_code == 201, r.content
    created = Prompt.objects.filter(pk__in=[p["id"] for p in r.json()["prompts"]]).order_by("id")
    assert Prompt.objects.count() == before + 2
    assert [(p.author, p.title, p.body, p.tags, p.content_hash) for p in created] == [
        (other_assistant, s.title, s.body, s.tags, s.content_hash) for s in vault_prompts
    ]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["exported_json"]["prompts"][0].update(body="evil body"),
        lambda d: d["exported_json"]["prompts"][1].update(title="Renamed"),
        lambda d: d["exported_json"]["prompts"].pop(),
        lambda d: d["exported_json"].update(format_version=2),
        lambda d: d.update(symbolic_signature="0" * 64),
        lambda d: d.update(symbolic_signature=d["symbolic_signature"].upper()),
        lambda d: d.update(symbolic_signature="ünïcode"),
    ],
)
def test_import_rejects_tampering_and_creates_nothing(
    owner_client, assistant, vault_prompts, tamper
):
    data = copy.deepcopy(export_of(owner_client, assistant, vault_prompts))
    tamper(data)
    before = Prompt.objects.count()
    r = owner_client.post(f"{URL}import/", {"assistant": assistant.id, **data}, format="json")
    assert r.status_code == 400
    assert error_codes(r) == ["invalid_signature"]
    assert Prompt.objects.count() == before


def test_import_rejects_bad_hash_even_when_signed(settings, owner_client, assistant):
    """A validly signed export whose content hash lies (a leaked key) still creates nothing."""
    exported = {
        "format_version": 1,
        "owner": {"assistant": assistant.id, "name": "x"},
        "prompts": [
            {
                "source_id": 1,
                "title": "ok",
                "body": "a",
                "tags": [],
                "content_hash": hashlib.sha256(b"a").hexdigest(),
            },
            {"source_id": 2, "title": "bad", "body": "b", "tags": [], "content_hash": "0" * 64},
        ],
    }
    sig = canonical_signature(exported, settings.VAULT_SIGNING_KEY)
    before = Prompt.objects.count()
    r = owner_client.post(
        f"{URL}import/",
        {"assistant": assistant.id, "exported_json": exported, "symbolic_signature": sig},
        format="json",
    )
    assert r.status_code == 400
    assert error_codes(r) == ["invalid_signature"]
    assert Prompt.objects.count() == before


def test_import_denials_and_bad_input(
    anon_client, owner_client, other_assistant, assistant, vault_prompts
):
    data = export_of(owner_client, assistant, vault_prompts)
    assert (
        anon_client.post(
            f"{URL}import/", {"assistant": assistant.id, **data}, format="json"
        ).status_code
        == 401
    )
    r = owner_client.post(f"{URL}import/", {"assistant": other_assistant.id, **data}, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    for bad in (
        {"exported_json": [1]},
        {"exported_json": "x"},
        {"symbolic_signature": 5 * "x" * 100},
    ):
        r = owner_client.post(
            f"{URL}import/", {"assistant": assistant.id, **data, **bad}, format="json"
        )
        assert r.status_code == 400, bad


def test_other_user_may_import_anothers_export(client_for, owner_client, assistant, vault_prompts):
    data = export_of(owner_client, assistant, vault_prompts)
    stranger = AssistantFactory()
    r = client_for(stranger.owner).post(
        f"{URL}import/", {"assistant": stranger.id, **data}, format="json"
    )
    assert r.status_code == 201
