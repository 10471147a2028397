"""The market list is written from plain rows (``listing_row_representation``) and rendered by
orjson (``FastJSONRenderer``): its answer must be byte for byte what ``ListingSerializer`` and
DRF's ``JSONRenderer`` write for the same listings, for every kind of field (hidden and visible
bodies, nulls, money, floats, datetimes, non-ASCII text) and every kind of caller."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from api.economy.serializers import ListingSerializer
from api.renderers import FastJSONRenderer
from core.models import Prompt
from core.selectors import assistants_count
from economy import selectors
from economy.models import PromptTokenListing
from economy.services import listing_delist
from tests.api.economy.market_helpers import URL
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.factories import AssistantFactory, PromptFactory, UserFactory


@pytest.fixture
def market(assistant, other_assistant):
    """Paid (body hidden unless licensed or owned), free (body visible), licensed to
    ``other_assistant``, delisted, and a prompt with odd text and scores."""
    paid = ListingFactory(
        prompt=PromptFactory(author=assistant, body="paid body", tags=["a", "ü"]),
        token_cost_cents=1250,
    )
    free = ListingFactory(
        prompt=PromptFactory(author=assistant, body="free body", tags=[]),
        token_cost_cents=0,
        symbolic_tag_weight=1.0,
        codex_usage_score=0.0,
    )
    licensed = ListingFactory(
        prompt=PromptFactory(body="licensed body", title="Ünïcode \u2028 line"),
        token_cost_cents=99,
        symbolic_tag_weight=0.1 + 0.2,
    )
    LicenceFactory(assistant=other_assistant, prompt=licensed.prompt)
    gone = ListingFactory(prompt=PromptFactory(body="gone"), token_cost_cents=100_000_000_00)
    listing_delist(listing=gone)
    # Scores a rating would leave: long floats, a count; a timestamp with microseconds.
    Prompt.objects.filter(pk=paid.prompt_id).update(trust_score=0.6325000000000001, rating_count=3)
    PromptTokenListing.objects.filter(pk=free.pk).update(
        adopter_count=2, listed_at=dt.datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=dt.UTC)
    )
    AssistantFactory.create_batch(3)
    return {"paid": paid, "free": free, "licensed": licensed, "gone": gone}


def serializer_answer(user, body: dict) -> bytes:
    """What ListingSerializer + DRF's JSONRenderer write for the listings the answer holds, in
    its order, in the same envelope."""
    ids = [r["id"] for r in body["results"]]
    by_id = selectors.listings_visible_to(user).in_bulk(ids)
    context = {"assistants_count": assistants_count()}
    results = ListingSerializer([by_id[i] for i in ids], many=True, context=context).data
    envelope = {
        "count": body["count"],
        "next": body["next"],
        "previous": body["previous"],
        "results": results,
    }
    return JSONRenderer().render(envelope)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("caller", "query"),
    [
        ("anonymous", "?ordering=-trust&page_size=2"),
        ("anonymous", "?ordering=-trust&page_size=2&page=2"),
        ("buyer", "?ordering=cost"),
        ("seller", "?is_active=false"),
        ("seller", ""),
        ("staff", "?ordering=listed_at"),
    ],
)
def test_fast_list_writes_what_the_serializer_writes(
    market, caller, query, anon_client, owner_client, other_client, staff_client, user, other_user
):
    staff = UserFactory(is_staff=True) if caller == "staff" else None
    client, who = {
        "anonymous": (anon_client, None),
        "buyer": (other_client, other_user),
        "seller": (owner_client, user),
        "staff": (staff_client, staff),
    }[caller]
    if caller == "staff":
        client.force_authenticate(staff)
    response = client.get(URL + query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["results"], "the page must hold rows to compare"
    from django.contrib.auth.models import AnonymousUser

    expected = serializer_answer(who or AnonymousUser(), body)
    assert response.content == expected


@pytest.mark.django_db
def test_fast_list_covers_every_field_kind(market, other_client):
    """The pages compared above hold hidden and visible bodies, nulls and set timestamps."""
    results = other_client.get(URL + "?page_size=100").json()["results"]
    bodies = {r["id"]: r["prompt"]["body"] for r in results}
    assert bodies[market["paid"].pk] is None
    assert bodies[market["free"].pk] == "free body"
    assert bodies[market["licensed"].pk] == "licensed body"
    delisted = other_client.get(URL + "?is_active=false").json()["results"]
    assert delisted[0]["delisted_at"] is not None
    assert delisted[0]["token_cost"] == "100000000.00"


@pytest.mark.django_db
def test_fast_list_answers_indent_and_browsable_api_too(market, anon_client):
    plain = anon_client.get(URL).json()
    indented = anon_client.get(URL, HTTP_ACCEPT="application/json; indent=4")
    assert b"\n    " in indented.content
    assert indented.json() == plain
    html = anon_client.get(URL, HTTP_ACCEPT="text/html")
    assert html.status_code == 200
    assert b"free body" in html.content


@pytest.mark.django_db
def test_fast_list_bad_page_size_and_ordering_keep_their_errors(market, anon_client):
    r = anon_client.get(URL + "?page_size=0")
    assert r.status_code == 400
    assert r.json()["errors"][0]["attr"] == "page_size"
    assert anon_client.get(URL + "?page=99").status_code == 404


DATA = {
    "text": 'Ünïcode \u2028 and \u2029 and "quotes" </script>',
    "when": dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
    "whole": dt.datetime(2024, 1, 2, tzinfo=timezone.get_current_timezone()),
    "date": dt.date(2024, 1, 2),
    "floats": [0.1 + 0.2, 1.0, 0.0, 1e16, 123456.789],
    "ints": [0, -1, 2**62],
    "none": None,
    "bools": [True, False],
    "nested": {"b": 1, "a": [{"z": "x"}]},
    "error": ErrorDetail("Bad.", "invalid"),
}


def test_fast_renderer_writes_the_bytes_drf_writes():
    assert FastJSONRenderer().render(DATA) == JSONRenderer().render(DATA)
    assert FastJSONRenderer().render(None) == JSONRenderer().render(None)


@pytest.mark.django_db
def test_no_filter_in_the_query_builds_no_filterset(market, anon_client, monkeypatch):
    from api.economy.filters import ListingFilter

    built = []
    init = ListingFilter.__init__

    def counting_init(self, *args, **kwargs):
        built.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(ListingFilter, "__init__", counting_init)
    assert anon_client.get(URL + "?ordering=-trust&page_size=50&page=1").status_code == 200
    assert built == []
    r = anon_client.get(URL + "?seller=abc")
    assert r.status_code == 400
    assert r.json()["errors"][0]["attr"] == "seller"
    assert built == [1]
    assert anon_client.get(URL + "?ordering=nope").status_code == 200  # unknown keys are ignored
    r = anon_client.get(URL + f"?seller={market['paid'].prompt.author_id}")
    assert [x["id"] for x in r.json()["results"]] == [market["free"].pk, market["paid"].pk]


@pytest.mark.django_db
def test_compiled_list_runs_one_statement_with_each_callers_id(
    market, anon_client, other_client, other_user
):
    """The plain list is compiled once per ordering and kind of caller and run with each
    caller's id: a second user gets its own visibility from the same statement."""
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.test import APIClient

    from core.compiled import _compiled_rows

    _compiled_rows.clear()
    stranger = UserFactory()
    stranger_client = APIClient()
    stranger_client.force_authenticate(stranger)
    for client, who in [(other_client, other_user), (stranger_client, stranger)]:
        response = client.get(URL + "?ordering=-trust&page_size=100")
        assert response.content == serializer_answer(who, response.json())
    assert [key[1] for key in _compiled_rows] == [("market-list", "-trust", "user")]
    bodies = {
        who: {r["id"]: r["prompt"]["body"] for r in client.get(URL).json()["results"]}
        for who, client in [("buyer", other_client), ("stranger", stranger_client)]
    }
    assert bodies["buyer"][market["licensed"].pk] == "licensed body"
    assert bodies["stranger"][market["licensed"].pk] is None
    page = anon_client.get(URL + "?ordering=cost&page_size=1&page=2")
    assert page.content == serializer_answer(AnonymousUser(), page.json())
    assert page.json()["results"][0]["id"] == market["licensed"].pk
