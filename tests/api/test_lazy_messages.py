"""The admin's messages are kept (``LazyMessageMiddleware``), and an API request, which never
uses one, builds no message storage."""

import pytest
from django.contrib.auth.models import Group

import api.middleware
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def storages_built(monkeypatch):
    built = []
    real = api.middleware.default_storage

    def counting(request):
        built.append(request.path)
        return real(request)

    monkeypatch.setattr(api.middleware, "default_storage", counting)
    return built


def test_an_api_request_builds_no_message_storage(client, storages_built):
    response = client.get("/api/v1/market/prompts/")
    assert response.status_code == 200
    assert storages_built == []
    assert "messages" not in response.cookies


def test_the_admin_still_shows_its_messages(client, storages_built):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post("/admin/auth/group/add/", {"name": "editors"}, follow=True)
    assert response.status_code == 200
    assert Group.objects.filter(name="editors").exists()
    shown = [str(m) for m in response.context["messages"]]
    assert any("editors" in m and "added successfully" in m for m in shown), shown
    assert storages_built  # made when the admin used it
