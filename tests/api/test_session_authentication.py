"""Session authentication skips working out the user of a request with no session cookie
(``api.authentication.SessionAuthentication``); what the caller sees does not change: the
answer still varies on Cookie, and a session still signs its user in (CSRF enforced)."""

import django.contrib.auth as django_auth
import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_no_cookie_no_user_lookup_and_the_answer_still_varies_on_cookie(monkeypatch):
    looked_up = []
    real = django_auth.get_user

    def counting(request):
        looked_up.append(request.path)
        return real(request)

    monkeypatch.setattr(django_auth, "get_user", counting)
    response = Client().get("/api/v1/market/prompts/")
    assert response.status_code == 200
    assert looked_up == []
    assert "Cookie" in response["Vary"]
    assert "sessionid" not in response.cookies


def test_a_session_signs_its_user_in():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    me = client.get("/api/v1/auth/me/")
    assert me.status_code == 200, me.content
    assert me.json()["id"] == user.id
    assert "Cookie" in me["Vary"]
    # A write by session still needs the CSRF token, as DRF's class requires.
    assert client.post("/api/v1/assistants/", {"name": "x"}).status_code == 403


def test_anonymous_without_a_cookie_is_anonymous():
    response = Client().get("/api/v1/auth/me/")
    assert response.status_code in (401, 403)
    assert not isinstance(response.wsgi_request.user, type(None))
    assert isinstance(response.wsgi_request.user, AnonymousUser)
