"""Hostile input that once answered 500 or was silently reinterpreted: each is a clear 4xx with a
stable code now, and writes nothing."""

import json

import pytest
from rest_framework.test import APIClient

from economy.models import PromptTokenListing
from mentorship.models import PromptCurriculumVault
from tests.conftest import error_codes
from tests.factories import PromptFactory
from tests.training.factories import make_chain
from training.models import AssistantReflectionChain

pytestmark = pytest.mark.django_db

# --- Money: the literal as written, whatever JSON type carries it ----------------------------

BAD_MONEY = [
    "1e2",
    "1E2",
    "1.5e-400",
    "-0",
    "-0.0",
    "-1",
    "10.999999999999999999",
    "10.001",
    "1e400",
    '"1e2"',
    '"-0"',
    "true",
    "null",
    "[]",
    "{}",
    "10000000000000000000000",
]


def _json(**raw: object) -> str:
    """A JSON object whose values are raw JSON text, kept as written (a dict would not)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in raw.items()) + "}"


def _raw(client, method, url, text):
    return getattr(client, method)(url, text, content_type="application/json")


@pytest.mark.parametrize("literal", BAD_MONEY)
def test_listing_money_refuses_anything_but_a_plain_decimal(owner_client, assistant, literal):
    prompt = PromptFactory(author=assistant)
    body = _json(prompt=prompt.pk, token_cost=literal)
    r = _raw(owner_client, "post", "/api/v1/market/prompts/", body)
    assert r.status_code == 400, (literal, r.content)
    assert r.json()["errors"][0]["attr"] == "token_cost"
    assert error_codes(r)[0] in {"invalid", "negative", "too_large", "null"}
    assert not PromptTokenListing.objects.exists()


@pytest.mark.parametrize("literal", BAD_MONEY)
def test_listing_update_money_refuses_the_same(owner_client, assistant, literal):
    listing = PromptTokenListing.objects.create(
        prompt=PromptFactory(author=assistant), token_cost_cents=500
    )
    r = _raw(
        owner_client,
        "patch",
        f"/api/v1/market/prompts/{listing.pk}/",
        _json(token_cost=literal),
    )
    assert r.status_code == 400, (literal, r.content)
    assert r.json()["errors"][0]["attr"] == "token_cost"
    listing.refresh_from_db()
    assert listing.token_cost_cents == 500


@pytest.mark.parametrize("literal", BAD_MONEY)
def test_curriculum_money_refuses_the_same(owner_client, assistant, literal):
    body = _json(curator=assistant.pk, curriculum_title='"C"', token_cost=literal)
    r = _raw(owner_client, "post", "/api/v1/market/curriculum/", body)
    assert r.status_code == 400, (literal, r.content)
    assert r.json()["errors"][0]["attr"] == "token_cost"
    assert not PromptCurriculumVault.objects.exists()


@pytest.mark.parametrize(
    ("literal", "cents"),
    [("10", 1000), ("10.5", 1050), ("10.50", 1050), ("0", 0), ("0.01", 1), ('"10.50"', 1050)],
)
def test_money_as_json_number_or_string_is_exact(owner_client, assistant, literal, cents):
    prompt = PromptFactory(author=assistant)
    body = _json(prompt=prompt.pk, token_cost=literal)
    r = _raw(owner_client, "post", "/api/v1/market/prompts/", body)
    assert r.status_code == 201, r.content
    assert PromptTokenListing.objects.get().token_cost_cents == cents


def test_unit_floats_still_take_json_numbers(owner_client, assistant):
    prompt = PromptFactory(author=assistant)
    body = _json(
        prompt=prompt.pk, token_cost=1, symbolic_tag_weight="0.25", codex_usage_score="1e-1"
    )
    r = _raw(owner_client, "post", "/api/v1/market/prompts/", body)
    assert r.status_code == 201, r.content
    listing = PromptTokenListing.objects.get()
    assert (listing.symbolic_tag_weight, listing.codex_usage_score) == (0.25, 0.1)


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1.0000001", "-0.5"])
def test_unit_floats_out_of_range_or_infinite_are_400(owner_client, assistant, literal):
    prompt = PromptFactory(author=assistant)
    body = _json(prompt=prompt.pk, token_cost=1, symbolic_tag_weight=literal)
    r = _raw(owner_client, "post", "/api/v1/market/prompts/", body)
    assert r.status_code == 400, r.content
    assert r.json()["errors"][0]["attr"] == "symbolic_tag_weight"
    assert not PromptTokenListing.objects.exists()


# --- Authorization header bytes --------------------------------------------------------------

# What a WSGI server puts in the environ for these raw bytes: latin-1 decoded text.
ODD_AUTH = [
    b"Token \xff".decode("latin-1"),
    b"Token \xc3\xa9".decode("latin-1"),
    b"Token \x80\x81\x82".decode("latin-1"),
    "Token \u2603",  # not even latin-1: only a test client can send it
]


@pytest.mark.parametrize("header", ODD_AUTH)
@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/api/v1/prompts/"), ("get", "/api/v1/auth/me/"), ("post", "/api/v1/auth/logout/")],
)
def test_non_ascii_token_is_401_not_500(header, method, url):
    client = APIClient(raise_request_exception=False)
    r = getattr(client, method)(url, HTTP_AUTHORIZATION=header)
    assert r.status_code == 401, r.content
    assert error_codes(r) == ["authentication_failed"]


def test_non_ascii_token_through_a_real_wsgi_request(live_server):
    """The byte 0xff sent on the wire, through the WSGI handler a server runs."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("GET", "/api/v1/prompts/")
    conn.putheader("Authorization", b"Token \xff")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 401
    assert json.loads(response.read())["errors"][0]["code"] == "authentication_failed"
    conn.close()


# --- JSON that is not Unicode text, or nested too deep ---------------------------------------

SURROGATE_KEY = '{"\\ud800": 1}'
SURROGATE_VALUE = '{"a": "x\\udfff"}'


@pytest.mark.parametrize("obj", [SURROGATE_KEY, SURROGATE_VALUE, '{"a": ["\\ud800"]}'])
def test_lone_surrogate_in_memory_snapshot_is_400(owner_client, assistant, other_assistant, obj):
    chain = make_chain(seed=assistant, involved=[assistant, other_assistant])
    body = _step_body(obj)
    r = _raw(owner_client, "post", f"/api/v1/train/chains/{chain.pk}/step/", body)
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["parse_error"]
    assert not AssistantReflectionChain.objects.exists()


@pytest.mark.parametrize("obj", [SURROGATE_KEY, SURROGATE_VALUE])
def test_lone_surrogate_in_codex_alignment_is_400(owner_client, assistant, obj):
    body = _json(curator=assistant.pk, curriculum_title='"C"', codex_alignment=obj)
    r = _raw(owner_client, "post", "/api/v1/market/curriculum/", body)
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["parse_error"]
    assert not PromptCurriculumVault.objects.exists()


@pytest.mark.parametrize("obj", [SURROGATE_KEY, SURROGATE_VALUE])
def test_lone_surrogate_in_exported_json_is_400(owner_client, assistant, obj):
    body = _json(assistant=assistant.pk, symbolic_signature='"x"', exported_json=obj)
    r = _raw(owner_client, "post", "/api/v1/vaults/import/", body)
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["parse_error"]


def test_lone_surrogate_in_a_plain_string_field_is_400(owner_client, assistant):
    body = _json(author=assistant.pk, title='"\\ud800"', body='"b"')
    r = _raw(owner_client, "post", "/api/v1/prompts/", body)
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["parse_error"]


def test_a_surrogate_pair_is_text(owner_client, assistant):
    body = _json(author=assistant.pk, title='"\\ud83d\\ude00"', body='"b"')
    r = _raw(owner_client, "post", "/api/v1/prompts/", body)
    assert r.status_code == 201, r.content
    assert r.json()["title"] == "\U0001f600"


def _step_body(memory_snapshot: str) -> str:
    return _json(reflection_notes='"n"', belief_delta="0.1", memory_snapshot=memory_snapshot)


def _nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.mark.parametrize("depth", [65, 200, 940])
def test_memory_snapshot_nested_deep_is_400(owner_client, assistant, other_assistant, depth):
    chain = make_chain(seed=assistant, involved=[assistant, other_assistant])
    body = _step_body(_nested(depth - 1))
    r = _raw(owner_client, "post", f"/api/v1/train/chains/{chain.pk}/step/", body)
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["parse_error"]
    assert not AssistantReflectionChain.objects.exists()


def test_memory_snapshot_at_the_depth_limit_is_stored(owner_client, assistant, other_assistant):
    chain = make_chain(seed=assistant, involved=[assistant, other_assistant])
    body = _step_body(_nested(63))
    r = _raw(owner_client, "post", f"/api/v1/train/chains/{chain.pk}/step/", body)
    assert r.status_code == 201, r.content
    assert AssistantReflectionChain.objects.count() == 1


@pytest.mark.parametrize("literal", ["1e400", "-1e999"])
def test_infinite_number_inside_a_json_object_is_400(
    owner_client, assistant, other_assistant, literal
):
    chain = make_chain(seed=assistant, involved=[assistant, other_assistant])
    body = _step_body(_json(x=literal))
    r = _raw(owner_client, "post", f"/api/v1/train/chains/{chain.pk}/step/", body)
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["not_finite"]
    assert not AssistantReflectionChain.objects.exists()


def test_numbers_inside_a_json_object_keep_their_json_types(
    owner_client, assistant, other_assistant
):
    chain = make_chain(seed=assistant, involved=[assistant, other_assistant])
    body = (
        '{"reflection_notes": "n", "belief_delta": 0.1, '
        '"memory_snapshot": {"i": 3, "f": 0.5, "e": 1e2, "z": -0}}'
    )
    r = _raw(owner_client, "post", f"/api/v1/train/chains/{chain.pk}/step/", body)
    assert r.status_code == 201, r.content
    stored = AssistantReflectionChain.objects.get().memory_snapshot
    assert stored == {"i": 3, "f": 0.5, "e": 100.0, "z": 0}
    assert isinstance(stored["i"], int)
