from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import error_codes
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD):
    return client.post(
        "/api/v1/auth/login/", {"username": username, "password": password}, format="json"
    )


def test_register_creates_user_and_hides_password(anon_client):
    r = anon_client.post(
        "/api/v1/auth/register/",
        {"username": "ada", "password": "a-long-enough-pass", "email": "ada@example.com"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["username"] == "ada"
    assert "password" not in r.json()
    user = User.objects.get(username="ada")
    assert user.check_password("a-long-enough-pass")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"username": "bob", "password": "short"}, "password", "password_too_short"),
        ({"username": "bob", "password": "password123"}, "password", "password_too_common"),
        ({"username": "b o b", "password": "a-long-enough-pass"}, "username", "invalid"),
        ({"password": "a-long-enough-pass"}, "username", "required"),
        (
            {"username": "bob", "password": "a-long-enough-pass", "email": "nope"},
            "email",
            "invalid",
        ),
    ],
)
def test_register_bad_input(anon_client, body, field, code):
    r = anon_client.post("/api/v1/auth/register/", body, format="json")
    assert r.status_code == 400
    assert {"attr": field, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert not User.objects.filter(username="bob").exists()


def test_register_duplicate_username_is_400(anon_client, user):
    r = anon_client.post(
        "/api/v1/auth/register/",
        {"username": user.username.upper(), "password": "a-long-enough-pass"},
        format="json",
    )
    assert r.status_code == 400
    assert error_codes(r) == ["unique"]


def test_login_me_logout_revokes_token(anon_client, user):
    r = login(anon_client, user.username)
    assert r.status_code == 200
    token = r.json()["token"]
    assert r.json()["expiry"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert AuthToken.objects.filter(user=user).count() == 0
    again = client.get("/api/v1/auth/me/")
    assert again.status_code == 401
    assert error_codes(again) == ["authentication_failed"]


def test_logout_revokes_only_that_token(anon_client, user):
    t1 = login(anon_client, user.username).json()["token"]
    t2 = login(anon_client, user.username).json()["token"]
    c1, c2 = APIClient(), APIClient()
    c1.credentials(HTTP_AUTHORIZATION=f"Token {t1}")
    c2.credentials(HTTP_AUTHORIZATION=f"Token {t2}")
    assert c1.post("/api/v1/auth/logout/").status_code == 204
    assert c1.get("/api/v1/auth/me/").status_code == 401
    assert c2.get("/api/v1/auth/me/").status_code == 200


def test_expired_token_is_rejected(anon_client, user):
    token = login(anon_client, user.username).json()["token"]
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_expired_token_is_deleted_when_used(anon_client, user):
    token = login(anon_client, user.username).json()["token"]
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_token_of_an_inactive_user_is_refused(anon_client, user):
    token = login(anon_client, user.username).json()["token"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    r = client.get("/api/v1/auth/me/")
    assert r.status_code == 401
    assert r.json()["errors"][0]["detail"] == "User inactive or deleted."


def test_a_token_is_found_by_its_key_prefix_and_matched_by_its_digest(anon_client, user):
    from knox.settings import CONSTANTS

    token = login(anon_client, user.username).json()["token"]
    key = token[: CONSTANTS.TOKEN_KEY_LENGTH]
    other = UserFactory()
    # another user's token sharing the key prefix: only the digest tells them apart
    AuthToken.objects.create(user=other)
    AuthToken.objects.filter(user=other).update(token_key=key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    r = client.get("/api/v1/auth/me/")
    assert r.status_code == 200
    assert r.json()["username"] == user.username
    forged = key + ("0" if token[-1] != "0" else "1") * (len(token) - len(key))
    client.credentials(HTTP_AUTHORIZATION=f"Token {forged}")
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_login_wrong_password(anon_client, user):
    r = login(anon_client, user.username, "wrong")
    assert r.status_code == 400
    assert error_codes(r) == ["invalid_credentials"]
    assert AuthToken.objects.count() == 0


def test_login_inactive_user_refused(anon_client):
    u = UserFactory(is_active=False)
    assert login(anon_client, u.username).status_code == 400


def test_me_and_logout_need_auth(anon_client):
    assert anon_client.get("/api/v1/auth/me/").status_code == 401
    assert anon_client.post("/api/v1/auth/logout/").status_code == 401


def test_garbage_token_is_401(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert anon_client.get("/api/v1/auth/me/").status_code == 401


def test_auth_endpoints_are_throttled(anon_client, user, settings):
    rf = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000/min", "user": "1000/min", "auth": "3/min"},
    }
    settings.REST_FRAMEWORK = rf
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    old = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rf["DEFAULT_THROTTLE_RATES"]
    try:
        statuses = [login(anon_client, user.username, "wrong").status_code for _ in range(4)]
        assert statuses == [400, 400, 400, 429]
        r = login(anon_client, user.username)
        assert r.status_code == 429
        assert error_codes(r) == ["throttled"]
        assert "Retry-After" in r.headers
        # other endpoints keep the looser scope
        assert anon_client.get("/api/v1/prompts/").status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = old
        cache.clear()


def test_session_login_serves_browsable_api(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    r = client.get("/api/v1/auth/me/", HTTP_ACCEPT="text/html")
    assert r.status_code == 200
    assert b"<html" in r.content.lower()


def test_auth_costs_one_query_whatever_the_number_of_tokens(anon_client, user):
    from tests.conftest import count_queries

    tokens = [login(anon_client, user.username).json()["token"] for _ in range(5)]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    n, r = count_queries(lambda: client.get("/api/v1/assistants/?page_size=1"))
    assert r.status_code == 200
    # token look-up + page + count: the other 4 tokens are not swept on every request
    assert n == 3


def test_purge_expired_tokens(anon_client, user):
    from django.core.management import call_command

    login(anon_client, user.username)
    keep = login(anon_client, user.username).json()["token"]
    first = AuthToken.objects.order_by("created").first()
    AuthToken.objects.filter(pk=first.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    call_command("purge_expired_tokens")
    assert AuthToken.objects.filter(user=user).count() == 1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {keep}")
    assert client.get("/api/v1/auth/me/").status_code == 200


def test_anonymous_callers_are_throttled_once(anon_client, client_for, user):
    from django.core.cache import cache

    anon_client.get("/api/v1/prompts/")
    keys = list(cache._cache.keys())  # type: ignore[attr-defined]
    assert any("throttle_anon" in k for k in keys)
    assert not any("throttle_user" in k for k in keys)
    client_for(user).get("/api/v1/prompts/")
    assert any("throttle_user" in k for k in cache._cache)  # type: ignore[attr-defined]
