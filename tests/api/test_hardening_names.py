"""Usernames unique after NFKC normalisation and case folding; date filters and search terms that
once reached the database out of range (500 on SQLite) are a 400 now."""

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver

from api.filters import SEARCH_MAX_LENGTH, IsoDateTimeFilter
from core.models import UsernameClaim
from tests.api.mentorship.conftest import run_in_threads
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db
REGISTER = "/api/v1/auth/register/"
PASSWORD = "a-long-enough-pass"


def register(client, username):
    return client.post(REGISTER, {"username": username, "password": PASSWORD}, format="json")


# --- Usernames ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant", ["ALICE", "Alice", "\uff21\uff2c\uff29\uff23\uff25", "\uff41lice"]
)
def test_a_name_equal_after_normalisation_is_taken(anon_client, variant):
    assert register(anon_client, "alice").status_code == 201
    r = register(anon_client, variant)
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["unique"]
    assert r.json()["errors"][0]["attr"] == "username"
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_case_folding_beyond_ascii(anon_client):
    assert register(anon_client, "straße").status_code == 201
    r = register(anon_client, "STRASSE")
    assert (r.status_code, error_codes(r)) == (400, ["unique"])


def test_a_user_made_outside_the_api_claims_its_name(anon_client):
    User.objects.create_user(username="Bob", password=PASSWORD)  # admin, createsuperuser, ...
    r = register(anon_client, "bob")
    assert (r.status_code, error_codes(r)) == (400, ["unique"])
    assert User.objects.count() == 1


def test_renaming_moves_the_claim(anon_client):
    user = User.objects.create_user(username="carol", password=PASSWORD)
    user.username = "dave"
    user.save()
    assert UsernameClaim.objects.get(user=user).canonical == "dave"
    assert register(anon_client, "carol").status_code == 201
    assert (register(anon_client, "DAVE").status_code, UsernameClaim.objects.count()) == (400, 2)


@pytest.mark.parametrize("variant", ["alice", "ALICE", "\uff21\uff2c\uff29\uff23\uff25"])
def test_login_takes_any_case_or_width_of_the_name(anon_client, variant):
    register(anon_client, "Alice")
    r = anon_client.post(
        "/api/v1/auth/login/", {"username": variant, "password": PASSWORD}, format="json"
    )
    assert r.status_code == 200, r.content
    me = anon_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert me.json()["username"] == "Alice"


def test_login_with_a_wrong_password_is_still_refused(anon_client):
    register(anon_client, "alice")
    r = anon_client.post(
        "/api/v1/auth/login/", {"username": "ALICE", "password": "wrong"}, format="json"
    )
    assert (r.status_code, error_codes(r)) == (400, ["invalid_credentials"])


def test_a_50001_character_username_is_400(anon_client):
    r = register(anon_client, "a" * 50_001)
    assert (r.status_code, error_codes(r)) == (400, ["max_length"])
    assert not User.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_name_make_one_user(client_for):
    from rest_framework.test import APIClient

    variants = ["alice", "ALICE", "Alice", "aLICE", "\uff21\uff2c\uff29\uff23\uff25", "alicE"]
    for round_ in range(3):
        User.objects.all().delete()
        results = run_in_threads(*[lambda v=v: register(APIClient(), v) for v in variants])
        statuses = sorted(r.status_code for r in results)
        assert statuses == [201] + [400] * (len(variants) - 1), (round_, statuses)
        assert {c for r in results if r.status_code == 400 for c in error_codes(r)} == {"unique"}
        assert User.objects.count() == 1


# --- Every date filter and every search, found through the URL conf ----------------------------


def _plain(pattern) -> str:
    return str(pattern.pattern).replace("^", "").replace("$", "")


def _list_views():
    """(url, view class) of every list route the API serves."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + _plain(p))
            elif isinstance(p, URLPattern):
                actions = getattr(p.callback, "actions", None) or {}
                route = prefix + _plain(p)
                if actions.get("get") == "list" and "<" not in route and "(?P" not in route:
                    found.append(("/" + route, p.callback.cls))

    walk(get_resolver().url_patterns, "")
    return found


def test_the_walk_finds_the_lists():
    urls = {u for u, _ in _list_views()}
    assert {"/api/v1/prompts/", "/api/v1/mentorships/", "/api/v1/market/prompts/"} <= urls


def _date_filters():
    out = []
    for url, view in _list_views():
        filterset = getattr(view, "filterset_class", None)
        if filterset is None:
            continue
        for name, f in filterset.base_filters.items():
            if "Date" in type(f).__name__ or "Time" in type(f).__name__:
                out.append((url, name, f))
    return out


def test_every_date_filter_is_bounded():
    filters = _date_filters()
    assert filters, "no date filter found"
    assert all(isinstance(f, IsoDateTimeFilter) for _, _, f in filters)


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00%2B00:01"],
)
def test_out_of_range_dates_are_400_on_every_date_filter(owner_client, value):
    for url, name, _ in _date_filters():
        r = owner_client.get(f"{url}?{name}={value}")
        assert r.status_code == 400, (url, name, r.content)
        assert error_codes(r) == ["out_of_range"]
        assert r.json()["errors"][0]["attr"] == name


def test_dates_at_the_edges_still_filter(owner_client):
    for url, name, _ in _date_filters():
        for value in [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2020-01-01T00:00:00%2B14:00",
        ]:
            r = owner_client.get(f"{url}?{name}={value}")
            assert r.status_code == 200, (url, name, value, r.content)


def _searchable():
    return [(u, v) for u, v in _list_views() if getattr(v, "search_fields", None)]


def test_a_long_search_term_is_400_on_every_list_with_search(owner_client, assistant):
    from tests.factories import PromptFactory

    PromptFactory(author=assistant, title="a" * 100)  # rows, so the database sees the pattern
    searchable = _searchable()
    assert len(searchable) >= 5
    for url, _ in searchable:
        for size in [SEARCH_MAX_LENGTH + 1, 50_001]:
            r = owner_client.get(url, {"search": "a" * size})
            assert r.status_code == 400, (url, r.content)
            assert error_codes(r) == ["max_length"]
            assert r.json()["errors"][0]["attr"] == "search"
        r = owner_client.get(url, {"search": "a" * SEARCH_MAX_LENGTH})
        assert r.status_code == 200, (url, r.content)


def test_every_free_text_filter_is_bounded(owner_client):
    for url, view in _list_views():
        filterset = getattr(view, "filterset_class", None)
        if filterset is None:
            continue
        for name, f in filterset.base_filters.items():
            if type(f).__name__ == "CharFilter":
                r = owner_client.get(url, {name: "a" * 50_001})
                assert r.status_code == 400, (url, name, r.content)
                assert error_codes(r) == ["max_length"]
