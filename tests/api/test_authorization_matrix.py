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

import contextlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from api.fields import ActingAssistantField
from tests.conftest import error_codes
from tests.factories import AssistantFactory, PromptFactory, RitualFactory, UserFactory

API_PREFIX = "api/v1/"
EXCLUDED_NAMES = {"auth-register", "auth-login"}
WRITE_METHODS = ("post", "put", "patch", "delete")
PROJECT_APPS = ("core", "economy", "mentorship", "training")
# Reads that belong to their owner alone. A route is private when its path names one of these,
# or its view says so with ``private_read = True``.
PRIVATE_READ_PATTERN = re.compile(r"(wallet|ledger|vault|barter)")
# Routes that must exist once the economy and mentorship work has landed.
EXPECTED_PRIVATE_KINDS = ("wallet", "ledger", "vault", "barter")


# --- Routes -------------------------------------------------------------------------------------


@dataclass
class Route:
    pattern: str  # the full pattern text, e.g. "api/v1/^prompts/(?P<pk>[0-9]{1,18})/fork/$"
    name: str | None
    callback: Any
    method: str
    params: list[tuple[str, str]] = field(default_factory=list)  # (name, regex)

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None)

    @property
    def action(self) -> str | None:
        actions = getattr(self.callback, "actions", None)
        return actions.get(self.method) if actions else None

    @property
    def template(self) -> str:
        return "/" + _strip_regex(_replace_groups(self.pattern, lambda n, _r: "{" + n + "}"))

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.template}"

    def path(self, values: dict[str, str]) -> str:
        return "/" + _strip_regex(_replace_groups(self.pattern, lambda n, _r: values[n]))


def _replace_groups(pattern: str, repl) -> str:
    """Replace each named group ``(?P<name>regex)`` / converter ``<type:name>`` by ``repl``."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("(?P<", i):
            name_end = pattern.index(">", i)
            name = pattern[i + 4 : name_end]
            depth, j = 1, name_end + 1
            while depth:
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                j += 1
            out.append(repl(name, pattern[name_end + 1 : j - 1]))
            i = j
        elif pattern[i] == "<" and ">" in pattern[i:]:
            end = pattern.index(">", i)
            conv, _, name = pattern[i + 1 : end].rpartition(":")
            out.append(repl(name, {"int": "[0-9]+", "": "[^/]+"}.get(conv, "[^/]+")))
            i = end + 1
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _strip_regex(text: str) -> str:
    return text.replace("^", "").replace("$", "").replace("\\.", ".")


def _params(pattern: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    _replace_groups(pattern, lambda n, r: found.append((n, r)) or "")
    return found


def _walk(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return sorted(actions)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return []
    return [m for m in ("get", *WRITE_METHODS) if hasattr(cls, m)]


def collect_routes() -> list[Route]:
    routes = []
    for pattern, entry in _walk(get_resolver()):
        if not pattern.startswith(API_PREFIX) or entry.name in EXCLUDED_NAMES:
            continue
        if "format" in dict(_params(pattern)):
            continue
        for method in _methods(entry.callback):
            routes.append(Route(pattern, entry.name, entry.callback, method, _params(pattern)))
    return routes


ROUTES = collect_routes()
WRITES = [r for r in ROUTES if r.method in WRITE_METHODS]


def _is_private_read(route: Route) -> bool:
    cls = route.view_class
    declared = bool(getattr(cls, "private_read", False)) if cls else False
    return route.method == "get" and (declared or bool(PRIVATE_READ_PATTERN.search(route.template)))


PRIVATE_READS = [r for r in ROUTES if _is_private_read(r)]


# --- Serializers: which fields name the acting assistant --------------------------------------


def _view_for(route: Route, user, path: str = "/"):
    cls = route.view_class
    view = cls(**getattr(route.callback, "initkwargs", {}))
    factory_request = getattr(APIRequestFactory(), route.method)(path)
    request = Request(factory_request)
    request.user = user
    view.request = request
    view.args, view.kwargs, view.format_kwarg = (), {}, None
    view.action_map = getattr(route.callback, "actions", None) or {}
    view.action = route.action
    return view


def _request_serializers(route: Route) -> list:
    """The serializers the view reads this request's body with: what the OpenAPI schema
    documents for it (drf-spectacular's view of the action, ``extend_schema`` included) and what
    ``get_serializer_class()`` answers."""
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework import serializers

    found: list = []
    if route.view_class is None:
        return found
    generator = SchemaGenerator()
    try:
        view = generator.create_view(route.callback, route.method.upper())
        schema = view.schema
        schema.method, schema.path, schema.path_regex = route.method.upper(), route.template, ""
        found.append(schema.get_request_serializer())
    except Exception:  # a view the schema cannot describe still gets the next look
        pass
    with contextlib.suppress(Exception):  # views without a serializer
        found.append(_view_for(route, AnonymousLikeUser()).get_serializer_class())
    instances = []
    for item in found:
        if isinstance(item, type) and issubclass(item, serializers.BaseSerializer):
            try:
                item = item()
            except Exception:
                continue
        if isinstance(item, serializers.Serializer):
            instances.append(item)
    return instances


class AnonymousLikeUser:
    is_authenticated = False
    is_staff = False
    id = pk = None


def acting_fields(route: Route) -> list[str]:
    names: list[str] = []
    for serializer in _request_serializers(route):
        try:
            fields = serializer.fields
        except Exception:
            continue
        for name, fld in fields.items():
            if isinstance(fld, ActingAssistantField) and not fld.read_only and name not in names:
                names.append(name)
            child = getattr(fld, "child_relation", None)
            if isinstance(child, ActingAssistantField) and name not in names:
                names.append(name)
    return names


ACTING_WRITES = [(r, acting_fields(r)) for r in WRITES if r.method != "delete"]
ACTING_WRITES = [(r, f) for r, f in ACTING_WRITES if f]


# --- The world the requests act on ------------------------------------------------------------


def _autofill(model, owner_assistant, owner_user, depth: int = 0):
    """One row of ``model`` with every required field filled, foreign keys to the owner's rows."""
    existing = model._default_manager.order_by("pk").first()
    if existing is not None or depth > 4:
        return existing
    values: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.has_default() or getattr(f, "auto_now", False):
            continue
        if getattr(f, "auto_now_add", False):
            continue
        if f.is_relation:
            target = f.related_model
            if target is User:
                values[f.name] = owner_user
            elif target._meta.label == "core.Assistant":
                values[f.name] = owner_assistant
            elif f.null:
                continue
            else:
                values[f.name] = _autofill(target, owner_assistant, owner_user, depth + 1)
            continue
        if f.null:
            continue
        values[f.name] = _sample_value(f)
    try:
        with transaction.atomic():
            return model._default_manager.create(**values)
    except (IntegrityError, TypeError, ValueError):
        return None


def _sample_value(f):
    if f.choices:
        return f.choices[0][0]
    if isinstance(f, models.BooleanField):
        return False
    if isinstance(f, models.IntegerField):
        return 0
    if isinstance(f, models.FloatField | models.DecimalField):
        return 0.5
    if isinstance(f, models.JSONField):
        return {}
    if isinstance(f, models.DateTimeField):
        return timezone.now()
    if isinstance(f, models.DurationField):
        return timedelta(0)
    if isinstance(f, models.EmailField):
        return "owner@example.com"
    if isinstance(f, models.SlugField):
        return "sample-slug"
    return "sample"


@dataclass
class World:
    owner: Any
    owner_assistant: Any
    other: Any
    other_assistant: Any
    prompt: Any
    ritual: Any


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
            _autofill(model, owner_assistant, owner)
    return World(owner, owner_assistant, other, other_assistant, prompt, ritual)


def _model_for_param(route: Route, param: str, world: World):
    """The model a path parameter points into: the view's queryset for the lookup, else the model
    whose name matches ``<name>_pk``/``<name>_id``."""
    cls = route.view_class
    lookup = getattr(cls, "lookup_url_kwarg", None) or getattr(cls, "lookup_field", "pk")
    if param == lookup:
        try:
            view = _view_for(route, world.owner)
            qs = view.get_queryset()
            return qs.model, qs, getattr(cls, "lookup_field", "pk")
        except Exception:
            pass
    stem = re.sub(r"_(pk|id)$", "", param).replace("_", "")
    for app_label in PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__.lower().endswith(stem) or stem in model.__name__.lower():
                return model, model._default_manager.all(), "pk"
    return None, None, "pk"


def path_values(route: Route, world: World) -> dict[str, str]:
    """A value for each path parameter: the owner's object where one can be found, else "1"."""
    values = {}
    for name, regex in route.params:
        model, qs, lookup = _model_for_param(route, name, world)
        value = None
        if model is not None:
            preferred = {
                "core.Assistant": world.owner_assistant,
                "core.Prompt": world.prompt,
                "core.Ritual": world.ritual,
            }.get(model._meta.label)
            obj = preferred or qs.order_by("pk").first()
            if obj is not None:
                value = str(getattr(obj, lookup))
        if value is None or not re.fullmatch(regex, value):
            value = next(v for v in ("1", "sample-slug", "a") if re.fullmatch(regex, v))
        values[name] = value
    return values


# --- The database, whole ----------------------------------------------------------------------


def snapshot() -> dict[str, list]:
    """Every row of every model, so "nothing changed" means exactly that."""
    state = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list())
    return state


def assert_unchanged(before: dict, after: dict, route: Route) -> None:
    changed = [label for label in before if before[label] != after.get(label)]
    assert not changed, f"{route.id} changed {changed} although it was refused"


def _send(client: APIClient, route: Route, path: str, body: dict | None = None):
    return getattr(client, route.method)(path, body if body is not None else {}, format="json")


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
    response = _send(APIClient(), route, path)
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
    response = _send(client, route, path, body)
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
    response = _send(client, route, path)
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
