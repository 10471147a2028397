"""The authorisation matrix, built from the URL configuration so a new endpoint cannot escape it.

Every route under ``/api/v1/`` (but register and login, which are open by design) and every
method its view allows is collected at import time from ``get_resolver()``. Then:

- every write (POST/PUT/PATCH/DELETE) from an anonymous caller answers 401 and leaves every
  row of every table as it was;
- every write whose request serializer has an ``ActingAssistantField`` answers 403
  ``not_your_assistant`` when a user names someone else's assistant there, and changes nothing;
- every write by another user on a detail route of the owner's object is refused (403/404 for
  PUT/PATCH/DELETE, never a 2xx for POST actions) and changes nothing;
- every private read (wallets, ledgers, vaults, barter offers, and any view that declares
  ``private_read = True``) answers 401/403/404, or an empty list, to everyone but the owner;
- the throttles answer 429 past their rate.

Path ids point at objects the fixture makes: a user with an assistant, a prompt, a ritual, and
one row of every other model of the project's apps (filled generically, with foreign keys to
the owner's rows), so endpoints added by later work are exercised without editing this file.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from tests.api.authz_routes import (
    ACTING_WRITES,
    EXPECTED_PRIVATE_KINDS,
    PRIVATE_READS,
    PROJECT_APPS,
    ROUTES,
    WRITES,
    Route,
)
from tests.api.authz_world import (
    World,
    assert_unchanged,
    autofill,
    path_values,
    send,
    snapshot,
)
from tests.conftest import error_codes
from tests.factories import AssistantFactory, PromptFactory, RitualFactory, UserFactory


@pytest.fixture
def world(db) -> World:
    owner = UserFactory()
    owner_assistant = AssistantFactory(owner=owner)
    prompt = PromptFactory(author=owner_assistant)
    PromptFactory(author=owner_assistant, is_public=False)
    ritual = RitualFactory(owner=owner_assistant, steps=[prompt])
    other = UserFactory()
    other_assistant = AssistantFactory(owner=other)
    for app_label in PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            autofill(model, owner_assistant, owner)
    return World(owner, owner_assistant, other, other_assistant, prompt, ritual)


# --- The matrix -------------------------------------------------------------------------------


def test_matrix_sees_the_api():
    """The walk found the routes (a broken walk must not pass by testing nothing)."""
    templates = {r.template for r in ROUTES}
    assert "/api/v1/prompts/" in templates
    assert "/api/v1/prompts/{pk}/fork/" in templates
    assert any(r.method == "delete" for r in WRITES)
    assert {"author", "assistant", "owner"} <= {f for _, fs in ACTING_WRITES for f in fs}


@pytest.mark.parametrize("route", WRITES, ids=[r.id for r in WRITES])
def test_anonymous_writes_are_401_and_change_nothing(route: Route, world: World):
    path = route.path(path_values(route, world))
    before = snapshot()
    response = send(APIClient(), route, path)
    assert response.status_code == 401, (route.id, response.status_code, response.content[:300])
    assert error_codes(response)[0] in {"not_authenticated", "authentication_failed"}
    assert_unchanged(before, snapshot(), route)


@pytest.mark.parametrize(
    ("route", "fields"), ACTING_WRITES, ids=[f"{r.id} {','.join(f)}" for r, f in ACTING_WRITES]
)
def test_acting_as_someone_elses_assistant_is_403(route: Route, fields, world: World, client_for):
    """The other user names the owner's assistant in every acting field."""
    client = client_for(world.other)
    path = route.path(path_values(route, world))
    body = dict.fromkeys(fields, world.owner_assistant.pk)
    before = snapshot()
    response = send(client, route, path, body)
    if response.status_code == 404 and route.params:
        # The path object is invisible to this user: that answers first, and rightly.
        assert client.get(path).status_code in (404, 405), route.id
    else:
        assert response.status_code == 403, (route.id, response.status_code, response.content)
        # Editing the owner's object is refused for that (not_owner) before the body is read.
        allowed = (
            {"not_your_assistant", "not_owner"}
            if route.method in ("put", "patch")
            else {"not_your_assistant"}
        )
        assert allowed & set(error_codes(response)), (route.id, response.content)
    assert_unchanged(before, snapshot(), route)


OTHER_USER_WRITES = [r for r in WRITES if r.params and all(r is not a for a, _ in ACTING_WRITES)]


@pytest.mark.parametrize("route", OTHER_USER_WRITES, ids=[r.id for r in OTHER_USER_WRITES])
def test_writes_to_the_owners_objects_by_another_user_are_refused(
    route: Route, world: World, client_for
):
    client = client_for(world.other)
    path = route.path(path_values(route, world))
    before = snapshot()
    response = send(client, route, path)
    if route.method in ("put", "patch", "delete"):
        assert response.status_code in (403, 404), (
            route.id,
            response.status_code,
            response.content,
        )
    else:
        assert response.status_code >= 400, (route.id, response.status_code, response.content)
    assert response.status_code < 500, (route.id, response.content)
    assert_unchanged(before, snapshot(), route)


@pytest.mark.parametrize("route", PRIVATE_READS, ids=[r.id for r in PRIVATE_READS])
def test_private_reads_are_the_owners_alone(route: Route, world: World, client_for):
    path = route.path(path_values(route, world))
    owner_view = client_for(world.owner).get(path)
    assert owner_view.status_code == 200, (route.id, owner_view.status_code, owner_view.content)
    for client in (APIClient(), client_for(world.other)):
        response = client.get(path)
        if response.status_code == 200:
            data = response.json()
            assert isinstance(data, dict), (route.id, data)
            assert "results" in data, (route.id, "a private object was shown", data)
            assert data["results"] == [], (route.id, "another user's rows were listed", data)
        else:
            assert response.status_code in (401, 403, 404), (route.id, response.status_code)


def test_private_read_routes_present_are_covered():
    """Each kind of private read the spec names is in the matrix once its route exists; the list
    of those that exist is printed so a run shows what was covered."""
    covered = {kind for kind in EXPECTED_PRIVATE_KINDS for r in PRIVATE_READS if kind in r.template}
    print("private reads covered:", sorted(covered), [r.template for r in PRIVATE_READS])
    for r in PRIVATE_READS:
        assert r.method == "get"


# --- Throttling -------------------------------------------------------------------------------


@pytest.fixture
def low_throttle_rates(monkeypatch):
    """DRF binds the rates when the throttle classes are defined, so patch them there."""
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "3/min", "auth": "3/min"}
    )
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("low_throttle_rates")
@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_throttling_answers_429_past_the_rate(who, world: World, client_for):
    client = APIClient() if who == "anonymous" else client_for(world.other)
    statuses = [client.get("/api/v1/prompts/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/prompts/")
    assert response.status_code == 429
    assert error_codes(response) == ["throttled"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.usefixtures("low_throttle_rates")
def test_login_is_throttled_by_its_own_scope(world: World):
    client = APIClient()
    body = {"username": world.owner.username, "password": "wrong-password"}
    statuses = [client.post("/api/v1/auth/login/", body).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
