"""Prompt versions, labels and diffs (SPEC 7), driven as a client does."""

import hashlib

import pytest

from core.models import Prompt, PromptLabel, PromptLicence, PromptVersion
from tests.api.core.versions_helpers import MARKET, edit, numbers, url
from tests.conftest import error_codes
from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db


# --- versions made by edits -------------------------------------------------------------------


def test_create_makes_version_1_and_text_edits_make_the_next(owner_client, assistant):
    r = owner_client.post(
        "/api/v1/prompts/",
        {"author": assistant.id, "title": "T", "body": "one", "message": "first"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 1
    p = Prompt.objects.get(pk=r.json()["id"])
    assert PromptVersion.objects.get(prompt=p).message == "first"
    r = edit(owner_client, p, body="two", message="shorter")
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2
    assert r.json()["content_hash"] == hashlib.sha256(b"two").hexdigest()
    v2 = PromptVersion.objects.get(prompt=p, number=2)
    assert (v2.body, v2.message, v2.created_by_id) == ("two", "shorter", assistant.pk)
    assert v2.content_hash == hashlib.sha256(b"two").hexdigest()
    # Metadata only, or the same text: no version.
    assert edit(owner_client, p, is_public=False).json()["version"] == 2
    assert edit(owner_client, p, body="two", title="T").json()["version"] == 2
    assert numbers(p) == [1, 2]
    for field, value in (("title", "U"), ("tags", ["x"]), ("codex_clauses", [])):
        edit(owner_client, p, **{field: value})
    # codex_clauses [] equals the current []: no version for it.
    assert numbers(p) == [1, 2, 3, 4]
    assert Prompt.objects.get(pk=p.pk).version == 4
    assert PromptVersion.objects.get(prompt=p, number=1).body == "one"  # never edited


def test_versions_are_immutable(assistant):
    v = PromptFactory(author=assistant).versions.get()
    v.body = "changed"
    with pytest.raises(ValueError, match="immutable"):
        v.save()
    with pytest.raises(ValueError, match="immutable"):
        v.delete()


def test_listed_prompt_cannot_be_made_private(owner_client, assistant):
    p = PromptFactory(author=assistant)
    listing = ListingFactory(prompt=p, token_cost_cents=0)
    r = edit(owner_client, p, is_public=False, body="new")
    assert r.status_code == 409
    assert error_codes(r) == ["listed"]
    p.refresh_from_db()
    assert (p.is_public, p.body, p.version) == (True, p.body, 1)
    assert numbers(p) == [1]
    owner_client.post(f"{MARKET}{listing.id}/delist/", {}, format="json")
    assert edit(owner_client, p, is_public=False).status_code == 200


# --- reading versions -------------------------------------------------------------------------


@pytest.fixture
def sold(owner_client, other_client, assistant, other_assistant):
    """A for-sale prompt at v1, bought by other_assistant at v2, then edited to v3."""
    p = PromptFactory(author=assistant, body="v1 text")
    edit(owner_client, p, body="v2 text")
    listing = ListingFactory(prompt=p, token_cost_cents=200)
    r = other_client.post(
        f"{MARKET}{listing.id}/buy/", {"buyer": other_assistant.id}, format="json"
    )
    assert r.status_code == 201, r.content
    edit(owner_client, p, body="v3 text")
    return p


def bodies(client, prompt) -> dict[int, str | None]:
    r = client.get(url(prompt, "versions/"))
    assert r.status_code == 200, r.content
    return {v["number"]: v["body"] for v in r.json()["results"]}


def test_version_bodies_follow_the_licence_version(
    sold, owner_client, other_client, anon_client, staff_client, client_for
):
    assert bodies(owner_client, sold) == {3: "v3 text", 2: "v2 text", 1: "v1 text"}
    assert bodies(staff_client, sold) == {3: "v3 text", 2: "v2 text", 1: "v1 text"}
    assert bodies(other_client, sold) == {3: "v3 text", 2: "v2 text", 1: None}
    assert bodies(anon_client, sold) == {3: None, 2: None, 1: None}
    licence = PromptLicence.objects.get(prompt=sold)
    assert licence.version.number == 2
    r = other_client.get(url(sold, "versions/2/"))
    assert r.status_code == 200
    assert r.json()["body"] == "v2 text"
    assert r.json()["content_hash"] == hashlib.sha256(b"v2 text").hexdigest()
    assert other_client.get(url(sold, "versions/1/")).json()["body"] is None
    assert other_client.get(url(sold, "versions/9/")).status_code == 404
    PromptLicence.objects.filter(pk=licence.pk).update(state=PromptLicence.State.REFUNDED)
    assert bodies(other_client, sold) == {3: None, 2: None, 1: None}


def test_versions_of_a_prompt_you_cannot_see_are_404(other_client, assistant):
    p = PromptFactory(author=assistant, is_public=False)
    for tail in ("versions/", "versions/1/", "labels/", "diff/?from=1&to=1"):
        r = other_client.get(url(p, tail))
        assert r.status_code == 404, tail
        assert error_codes(r) == ["not_found"]


def test_label_resolves_prompt_and_version_reads(owner_client, anon_client, assistant):
    p = PromptFactory(author=assistant, title="A", body="first")
    edit(owner_client, p, title="B", body="second")
    r = owner_client.put(url(p, "labels/live/"), {"version": 1}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["name"], r.json()["version"]) == ("live", 1)
    shown = anon_client.get(url(p), {"label": "live"}).json()
    assert (shown["title"], shown["body"], shown["version"]) == ("A", "first", 1)
    assert shown["content_hash"] == hashlib.sha256(b"first").hexdigest()
    assert anon_client.get(url(p)).json()["version"] == 2
    listed = anon_client.get(url(p, "versions/"), {"label": "live"}).json()["results"]
    assert [v["number"] for v in listed] == [1]
    r = anon_client.get(url(p), {"label": "nope"})
    assert r.status_code == 404
    assert anon_client.get(url(p, "versions/"), {"label": "nope"}).status_code == 404


# --- labels -----------------------------------------------------------------------------------


def test_labels_moved_by_the_authors_owner_only(
    owner_client, other_client, anon_client, staff_client, assistant
):
    p = PromptFactory(author=assistant)
    edit(owner_client, p, body="second")
    put = lambda c, name, body: c.put(url(p, f"labels/{name}/"), body, format="json")  # noqa: E731
    assert put(owner_client, "live", {"version": 1}).status_code == 200
    assert put(owner_client, "live", {"version": 2}).status_code == 200
    assert PromptLabel.objects.get(prompt=p, name="live").version.number == 2
    r = put(other_client, "live", {"version": 1})
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]
    assert put(anon_client, "live", {"version": 1}).status_code == 401
    assert put(staff_client, "staging", {"version": 1}).status_code == 200
    r = put(owner_client, "live", {"version": 7})
    assert r.status_code == 400
    assert error_codes(r) == ["unknown_version"]
    for bad in ({"version": "x"}, {}, {"version": 0}):
        assert put(owner_client, "live", bad).status_code == 400, bad
    r = put(owner_client, "not a slug!", {"version": 1})
    assert r.status_code == 400
    assert PromptLabel.objects.get(prompt=p, name="live").version.number == 2
    r = anon_client.get(url(p, "labels/"))
    assert [(x["name"], x["version"]) for x in r.json()["results"]] == [("live", 2), ("staging", 1)]
    assert other_client.delete(url(p, "labels/live/")).status_code == 403
    assert owner_client.delete(url(p, "labels/live/")).status_code == 204
    assert owner_client.delete(url(p, "labels/live/")).status_code == 404
    assert list(PromptLabel.objects.values_list("name", flat=True)) == ["staging"]
    hidden = PromptFactory(author=assistant, is_public=False)
    r = other_client.put(url(hidden, "labels/live/"), {"version": 1}, format="json")
    assert r.status_code == 404


# --- diff -------------------------------------------------------------------------------------


def test_diff_of_two_versions(owner_client, anon_client, assistant):
    p = PromptFactory(author=assistant, title="A", body="line one\nline two\n", tags=["x"])
    edit(owner_client, p, title="B", body="line one\nline 2\n")
    r = anon_client.get(url(p, "diff/"), {"from": 1, "to": 2})
    assert r.status_code == 200, r.content
    d = r.json()
    assert (d["from_version"], d["to_version"], d["body_changed"]) == (1, 2, True)
    assert d["diff"] == "--- v1\n+++ v2\n@@ -1,2 +1,2 @@\n line one\n-line two\n+line 2\n"
    assert d["changed_fields"] == {"title": {"from": "A", "to": "B"}}
    same = anon_client.get(url(p, "diff/"), {"from": 2, "to": 2}).json()
    assert (same["diff"], same["changed_fields"], same["body_changed"]) == ("", {}, False)
    for bad in ({"from": 1, "to": 3}, {"from": 9, "to": 1}, {"from": 1}, {"from": "x", "to": 1}):
        r = anon_client.get(url(p, "diff/"), bad)
        assert r.status_code == 400, bad
    assert error_codes(anon_client.get(url(p, "diff/"), {"from": 1, "to": 3})) == [
        "unknown_version"
    ]


def test_diff_of_bodies_needs_both_bodies(sold, other_client, anon_client):
    r = other_client.get(url(sold, "diff/"), {"from": 2, "to": 3})
    assert r.json()["diff"].endswith("-v2 text\n+v3 text\n")
    assert other_client.get(url(sold, "diff/"), {"from": 1, "to": 3}).json()["diff"] is None
    d = anon_client.get(url(sold, "diff/"), {"from": 2, "to": 3}).json()
    assert (d["diff"], d["body_changed"]) == (None, True)


# --- licences ---------------------------------------------------------------------------------


def test_assistant_licences_list(sold, owner_client, other_client, anon_client, other_assistant):
    lurl = f"/api/v1/assistants/{other_assistant.id}/licences/"
    r = other_client.get(lurl)
    assert r.status_code == 200, r.content
    [row] = r.json()["results"]
    assert (row["prompt"], row["version"], row["source"], row["state"], row["price"]) == (
        sold.pk,
        2,
        "purchase",
        "active",
        "2.00",
    )
    r = owner_client.get(lurl)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert anon_client.get(lurl).status_code == 401
    assert other_client.get("/api/v1/assistants/999999/licences/").status_code == 404
