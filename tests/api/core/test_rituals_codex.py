import pytest

from core.models import CodexClause, Ritual, RitualStep
from tests.conftest import assert_list_queries_constant, error_codes
from tests.factories import CodexClauseFactory, PromptFactory, RitualFactory

pytestmark = pytest.mark.django_db


def test_create_ritual_with_ordered_steps(owner_client, assistant, other_assistant):
    CodexClauseFactory(code="care")
    p1 = PromptFactory(author=assistant)
    p2 = PromptFactory(author=other_assistant)  # public and free: readable
    r = owner_client.post(
        "/api/v1/rituals/",
        {
            "owner": assistant.id,
            "name": "Dawn",
            "steps": [p2.id, p1.id, p2.id],
            "codex_clauses": ["care"],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["steps"] == [p2.id, p1.id, p2.id]
    ritual = Ritual.objects.get()
    assert list(RitualStep.objects.filter(ritual=ritual).values_list("prompt_id", flat=True)) == [
        p2.id,
        p1.id,
        p2.id,
    ]


def test_ritual_step_must_be_readable(owner_client, assistant, other_assistant):
    hidden = PromptFactory(author=other_assistant, is_public=False)
    r = owner_client.post(
        "/api/v1/rituals/",
        {"owner": assistant.id, "name": "x", "steps": [hidden.id]},
        format="json",
    )
    assert r.status_code == 400
    assert error_codes(r) == ["does_not_exist"]  # hidden: the same answer as an unknown id
    assert Ritual.objects.count() == 0


def test_ritual_bad_input(owner_client, assistant):
    for body, code in [
        ({"owner": assistant.id, "name": "x", "steps": [999999]}, "does_not_exist"),
        ({"owner": assistant.id, "name": "x", "codex_clauses": ["ghost"]}, "unknown_codex_clause"),
        ({"owner": assistant.id, "name": "x", "steps": "1"}, "not_a_list"),
    ]:
        r = owner_client.post("/api/v1/rituals/", body, format="json")
        assert r.status_code == 400, body
        assert code in error_codes(r)
    assert Ritual.objects.count() == 0


def test_ritual_acting_and_owner_checks(
    owner_client, other_client, anon_client, assistant, other_assistant
):
    r = owner_client.post(
        "/api/v1/rituals/", {"owner": other_assistant.id, "name": "x"}, format="json"
    )
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert (
        anon_client.post(
            "/api/v1/rituals/", {"owner": assistant.id, "name": "x"}, format="json"
        ).status_code
        == 401
    )
    ritual = RitualFactory(owner=assistant)
    r = other_client.patch(f"/api/v1/rituals/{ritual.id}/", {"name": "mine"}, format="json")
    assert r.status_code == 403
    assert other_client.delete(f"/api/v1/rituals/{ritual.id}/").status_code == 403
    ritual.refresh_from_db()
    assert ritual.name != "mine"


def test_ritual_update_replaces_steps(owner_client, assistant):
    p1, p2 = PromptFactory(author=assistant), PromptFactory(author=assistant)
    ritual = RitualFactory(owner=assistant, steps=[p1])
    r = owner_client.patch(
        f"/api/v1/rituals/{ritual.id}/", {"steps": [p2.id, p1.id]}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["steps"] == [p2.id, p1.id]


def test_ritual_list_query_count(anon_client, assistant):
    p = PromptFactory(author=assistant)
    for _ in range(3):
        RitualFactory(owner=assistant, steps=[p, p])
    assert assert_list_queries_constant(anon_client, "/api/v1/rituals/") <= 3


def test_codex_staff_write_all_read(staff_client, owner_client, anon_client):
    r = staff_client.post(
        "/api/v1/codex-clauses/", {"code": "truth", "text": "Tell it."}, format="json"
    )
    assert r.status_code == 201
    assert anon_client.get("/api/v1/codex-clauses/truth/").json()["text"] == "Tell it."
    r = owner_client.post("/api/v1/codex-clauses/", {"code": "lies", "text": "x"}, format="json")
    assert r.status_code == 403
    assert (
        anon_client.post(
            "/api/v1/codex-clauses/", {"code": "lies", "text": "x"}, format="json"
        ).status_code
        == 401
    )
    assert owner_client.delete("/api/v1/codex-clauses/truth/").status_code == 403
    assert not CodexClause.objects.filter(code="lies").exists()
    r = staff_client.post(
        "/api/v1/codex-clauses/", {"code": "truth", "text": "again"}, format="json"
    )
    assert r.status_code == 400
    r = staff_client.post(
        "/api/v1/codex-clauses/", {"code": "not a slug", "text": "x"}, format="json"
    )
    assert r.status_code == 400


def test_codex_list_query_count(anon_client):
    CodexClauseFactory.create_batch(3)
    assert assert_list_queries_constant(anon_client, "/api/v1/codex-clauses/") <= 2


def test_codex_code_is_immutable(staff_client):
    CodexClauseFactory(code="fixed", text="old")
    r = staff_client.patch(
        "/api/v1/codex-clauses/fixed/", {"code": "moved", "text": "new"}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["code"] == "fixed"
    assert CodexClause.objects.get(code="fixed").text == "new"
    assert not CodexClause.objects.filter(code="moved").exists()
