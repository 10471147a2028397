import hashlib

import pytest

from core.models import Prompt
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.factories import AssistantFactory, CodexClauseFactory, PromptFactory

pytestmark = pytest.mark.django_db


def create(client, **body):
    return client.post("/api/v1/prompts/", body, format="json")


def test_create_prompt(owner_client, assistant):
    CodexClauseFactory(code="honesty")
    r = create(
        owner_client,
        author=assistant.id,
        title="Dream",
        body="Dream of the sea.",
        tags=["sea", "dream"],
        codex_clauses=["honesty"],
        is_public=True,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["content_hash"] == hashlib.sha256(b"Dream of the sea.").hexdigest()
    assert body["trust_score"] == 0.5
    assert body["rating_count"] == 0
    assert body["fork_count"] == 0
    assert body["is_for_sale"] is False
    p = Prompt.objects.get(pk=body["id"])
    assert p.tags == ["sea", "dream"]
    assert p.codex_clauses == ["honesty"]


def test_create_as_someone_elses_assistant_is_403(owner_client, other_assistant):
    r = create(owner_client, author=other_assistant.id, title="x", body="y")
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert Prompt.objects.count() == 0


def test_acting_check_wins_over_other_errors(owner_client, other_assistant):
    r = create(owner_client, author=other_assistant.id, title="", body="y" * 20_001)
    assert r.status_code == 403


def test_staff_may_act_as_any_assistant(staff_client, assistant):
    assert create(staff_client, author=assistant.id, title="x", body="y").status_code == 201


def test_create_needs_auth(anon_client, assistant):
    assert create(anon_client, author=assistant.id, title="x", body="y").status_code == 401


@pytest.mark.parametrize(
    ("patch", "attr", "code"),
    [
        ({"body": "x" * 20_001}, "body", "max_length"),
        ({"title": "t" * 151}, "title", "max_length"),
        ({"tags": ["a"] * 21}, "tags", "max_length"),
        ({"tags": ["a" * 51]}, "tags.0", "max_length"),
        ({"tags": "notalist"}, "tags", "not_a_list"),
        ({"codex_clauses": ["nope"]}, "codex_clauses", "unknown_codex_clause"),
        ({"author": 999999}, "author", "does_not_exist"),
        ({"is_public": "maybe"}, "is_public", "invalid"),
    ],
)
def test_create_bad_input(owner_client, assistant, patch, attr, code):
    body = {"author": assistant.id, "title": "x", "body": "y", **patch}
    r = owner_client.post("/api/v1/prompts/", body, format="json")
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert Prompt.objects.count() == 0


def test_derived_fields_are_read_only(owner_client, assistant):
    r = create(
        owner_client,
        author=assistant.id,
        title="x",
        body="y",
        trust_score=1.0,
        rating_count=99,
        fork_count=7,
        content_hash="abc",
    )
    assert r.status_code == 201
    p = Prompt.objects.get()
    assert (p.trust_score, p.rating_count, p.fork_count) == (0.5, 0, 0)
    assert p.content_hash == hashlib.sha256(b"y").hexdigest()


def test_non_json_body_is_415(owner_client, assistant):
    r = owner_client.post(
        "/api/v1/prompts/", "author=1&title=x", content_type="application/x-www-form-urlencoded"
    )
    assert r.status_code == 415


def test_malformed_json_is_400(owner_client):
    r = owner_client.post("/api/v1/prompts/", "{not json", content_type="application/json")
    assert r.status_code == 400
    assert error_codes(r) == ["parse_error"]


def test_nan_is_rejected(owner_client):
    r = owner_client.post("/api/v1/prompts/", '{"title": NaN}', content_type="application/json")
    assert r.status_code == 400


def test_oversize_request_is_413(owner_client, assistant, settings):
    settings.API_MAX_BODY_BYTES = 1000
    r = create(owner_client, author=assistant.id, title="x", body="y" * 2000)
    assert r.status_code == 413
    assert error_codes(r) == ["request_too_large"]


def test_private_prompt_is_404_to_others(
    anon_client, other_client, owner_client, staff_client, assistant
):
    p = PromptFactory(author=assistant, is_public=False)
    assert anon_client.get(f"/api/v1/prompts/{p.id}/").status_code == 404
    assert other_client.get(f"/api/v1/prompts/{p.id}/").status_code == 404
    assert owner_client.get(f"/api/v1/prompts/{p.id}/").status_code == 200
    assert staff_client.get(f"/api/v1/prompts/{p.id}/").status_code == 200
    assert p.id not in [x["id"] for x in other_client.get("/api/v1/prompts/").json()["results"]]
    assert (
        other_client.patch(f"/api/v1/prompts/{p.id}/", {"title": "z"}, format="json").status_code
        == 404
    )


def test_for_sale_body_hidden_except_owner_licensee_staff(
    anon_client, owner_client, other_client, staff_client, client_for, assistant, other_assistant
):
    p = PromptFactory(author=assistant, body="secret")
    ListingFactory(prompt=p, token_cost_cents=500)
    licensee = AssistantFactory()
    LicenceFactory(assistant=licensee, prompt=p)
    url = f"/api/v1/prompts/{p.id}/"
    assert anon_client.get(url).json()["body"] is None
    assert other_client.get(url).json()["body"] is None
    assert other_client.get(url).json()["is_for_sale"] is True
    assert owner_client.get(url).json()["body"] == "secret"
    assert staff_client.get(url).json()["body"] == "secret"
    assert client_for(licensee.owner).get(url).json()["body"] == "secret"
    listed = other_client.get("/api/v1/prompts/").json()["results"]
    assert [x["body"] for x in listed if x["id"] == p.id] == [None]


def test_free_listing_shows_body(anon_client, assistant):
    p = PromptFactory(author=assistant, body="free")
    ListingFactory(prompt=p, token_cost_cents=0)
    assert anon_client.get(f"/api/v1/prompts/{p.id}/").json()["body"] == "free"


def test_update_recomputes_hash_and_is_owner_only(owner_client, other_client, assistant):
    p = PromptFactory(author=assistant)
    r = owner_client.patch(f"/api/v1/prompts/{p.id}/", {"body": "new body"}, format="json")
    assert r.status_code == 200
    assert r.json()["content_hash"] == hashlib.sha256(b"new body").hexdigest()
    r = other_client.patch(f"/api/v1/prompts/{p.id}/", {"body": "hijack"}, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    p.refresh_from_db()
    assert p.body == "new body"


def test_author_cannot_be_changed(owner_client, assistant, other_assistant):
    p = PromptFactory(author=assistant)
    r = owner_client.patch(
        f"/api/v1/prompts/{p.id}/", {"author": other_assistant.id}, format="json"
    )
    assert r.status_code == 200
    p.refresh_from_db()
    assert p.author == assistant


def test_delete_owner_only(owner_client, other_client, assistant):
    p = PromptFactory(author=assistant)
    assert other_client.delete(f"/api/v1/prompts/{p.id}/").status_code == 403
    assert owner_client.delete(f"/api/v1/prompts/{p.id}/").status_code == 204
    assert not Prompt.objects.filter(pk=p.pk).exists()


def test_filters_and_search(anon_client, assistant, other_assistant):
    a = PromptFactory(author=assistant, title="Sea dream", tags=["sea"])
    b = PromptFactory(author=other_assistant, title="Fire song", tags=["fire", "song"])
    fork = PromptFactory(author=other_assistant, forked_from=a, tags=[])

    def ids(q):
        r = anon_client.get(f"/api/v1/prompts/?{q}")
        assert r.status_code == 200, r.content
        return sorted(x["id"] for x in r.json()["results"])

    assert ids(f"author={assistant.id}") == [a.id]
    assert ids("tag=fire") == [b.id]
    assert ids("tag=so") == []
    assert ids(f"forked_from={a.id}") == [fork.id]
    assert ids("search=dream") == [a.id]
    assert ids("ordering=-id")[0] == a.id
    r = anon_client.get("/api/v1/prompts/?ordering=body")
    assert r.status_code == 200  # unknown orderings are ignored, never a 500


def test_list_query_count_constant(other_client, assistant):
    for _ in range(3):
        p = PromptFactory(author=assistant)
        ListingFactory(prompt=p, token_cost_cents=100)
    assert assert_list_queries_constant(other_client, "/api/v1/prompts/") <= 3


def test_fork_copies_and_counts(other_client, assistant, other_assistant):
    p = PromptFactory(author=assistant, body="original", tags=["a"])
    r = other_client.post(
        f"/api/v1/prompts/{p.id}/fork/", {"assistant": other_assistant.id}, format="json"
    )
    assert r.status_code == 201, r.content
    fork = Prompt.objects.get(pk=r.json()["id"])
    assert fork.forked_from == p
    assert fork.author == other_assistant
    assert fork.body == "original"
    assert fork.content_hash == p.content_hash
    p.refresh_from_db()
    assert p.fork_count == 1


def test_fork_for_sale_needs_licence(other_client, assistant, other_assistant):
    p = PromptFactory(author=assistant)
    ListingFactory(prompt=p, token_cost_cents=100)
    r = other_client.post(
        f"/api/v1/prompts/{p.id}/fork/", {"assistant": other_assistant.id}, format="json"
    )
    assert r.status_code == 403
    assert error_codes(r) == ["not_licensed"]
    assert Prompt.objects.count() == 1
    LicenceFactory(assistant=other_assistant, prompt=p)
    r = other_client.post(
        f"/api/v1/prompts/{p.id}/fork/", {"assistant": other_assistant.id}, format="json"
    )
    assert r.status_code == 201


def test_fork_denials(anon_client, owner_client, assistant, other_assistant):
    p = PromptFactory(author=assistant)
    url = f"/api/v1/prompts/{p.id}/fork/"
    assert anon_client.post(url, {"assistant": assistant.id}, format="json").status_code == 401
    r = owner_client.post(url, {"assistant": other_assistant.id}, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert owner_client.post(url, {}, format="json").status_code == 400
    assert (
        owner_client.post(
            "/api/v1/prompts/999999/fork/", {"assistant": assistant.id}, format="json"
        ).status_code
        == 404
    )
    p.refresh_from_db()
    assert p.fork_count == 0


def test_fork_costs_constant_queries(other_client, assistant, other_assistant):
    p = PromptFactory(author=assistant)
    n, r = count_queries(
        lambda: other_client.post(
            f"/api/v1/prompts/{p.id}/fork/", {"assistant": other_assistant.id}, format="json"
        )
    )
    assert r.status_code == 201
    assert n <= 12 + 3  # + the prompt.forked event: two INSERTs and its webhook look-up


def test_forks_of_paid_or_private_prompts_are_private(
    owner_client, other_client, assistant, other_assistant
):
    paid = PromptFactory(author=assistant, body="bought words")
    ListingFactory(prompt=paid, token_cost_cents=100)
    LicenceFactory(assistant=other_assistant, prompt=paid)
    r = other_client.post(
        f"/api/v1/prompts/{paid.id}/fork/", {"assistant": other_assistant.id}, format="json"
    )
    assert r.status_code == 201
    assert r.json()["is_public"] is False
    private = PromptFactory(author=assistant, is_public=False)
    r = owner_client.post(
        f"/api/v1/prompts/{private.id}/fork/", {"assistant": assistant.id}, format="json"
    )
    assert r.json()["is_public"] is False
    free = PromptFactory(author=assistant)
    r = other_client.post(
        f"/api/v1/prompts/{free.id}/fork/", {"assistant": other_assistant.id}, format="json"
    )
    assert r.json()["is_public"] is True
