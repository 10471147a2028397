"""Every list endpoint costs the same number of queries at page_size 1 and 100 (no N+1).

The routes come from the URL configuration, not from a hand-kept list: every ``GET`` on a
collection (a ViewSet's ``list``, or a ListAPIView) is found, including routes added later.
Rows are built generically for the list's model (each foreign key pointing at the caller's
assistant, user, wallet or the URL's parent object, a fresh prompt where a row needs one), so a
new list endpoint is covered without editing this file; a model the generic builder can't fill
gets an entry in ``BUILDERS``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.mixins import ListModelMixin
from rest_framework.test import APIClient

from core.models import Assistant, Prompt
from tests.conftest import count_queries
from tests.factories import AssistantFactory, PromptFactory, UserFactory

ROWS = 3
_seq = itertools.count(1)


@dataclass
class ListRoute:
    name: str
    regex: str
    view_cls: type
    kwargs: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def list_routes() -> list[ListRoute]:
    routes = []
    for regex, pattern in _walk(get_resolver().url_patterns):
        callback = pattern.callback
        cls = getattr(callback, "cls", None)
        if cls is None or not regex.startswith("api/v1/"):
            continue
        actions = getattr(callback, "actions", None)
        is_list = (
            actions.get("get") == "list"
            if actions
            else issubclass(cls, ListModelMixin) and hasattr(cls, "get")
        )
        if is_list:
            kwargs = re.findall(r"\(\?P<(\w+)>", regex)
            routes.append(ListRoute(pattern.name or regex, regex, cls, kwargs))
    return routes


# --- generic rows -----------------------------------------------------------------------------


@dataclass
class Ctx:
    user: User
    assistant: Assistant
    parents: dict[type, models.Model] = field(default_factory=dict)


def _fresh_prompt(ctx: Ctx) -> Prompt:
    return PromptFactory(author=ctx.assistant)


def _unique_fields(model: type[models.Model]) -> set[str]:
    names: set[str] = set()
    for c in model._meta.constraints:
        if isinstance(c, models.UniqueConstraint):
            names.update(c.fields)
    for group in model._meta.unique_together:
        names.update(group)
    return names


def _fk_value(f: models.ForeignKey, ctx: Ctx, depth: int, i: int) -> Any:
    target = f.related_model
    if target in ctx.parents:
        return ctx.parents[target]
    if target is User:
        return ctx.user
    if target is Assistant:
        if i and f.name in _unique_fields(f.model):
            return AssistantFactory(owner=ctx.user)  # one row per (assistant, ...): vary it
        return ctx.assistant
    if target is Prompt:
        return _fresh_prompt(ctx)
    if target._meta.label == "economy.Wallet":
        return ctx.assistant.wallet
    return build(target, ctx, depth=depth + 1)


def _value(f: models.Field, i: int) -> Any:
    n = next(_seq)
    if f.choices:
        return f.choices[0][0]
    if isinstance(f, (models.SlugField, models.CharField, models.TextField)):
        return f"v{n}"[: f.max_length or 50]
    if isinstance(f, models.BooleanField):
        return True
    if isinstance(f, (models.IntegerField, models.BigIntegerField)):
        return i + 1
    if isinstance(f, (models.FloatField, models.DecimalField)):
        return 0.5
    if isinstance(f, models.JSONField):
        return {}
    if isinstance(f, models.DateTimeField):
        return timezone.now()
    raise NotImplementedError(f"no generic value for {f!r}")


def build(model: type[models.Model], ctx: Ctx, *, i: int = 0, depth: int = 0) -> models.Model:
    """One row of ``model``: factories for the core models, generic values for the rest."""
    if depth > 4:
        raise RecursionError(f"{model.__name__}: foreign keys nest too deep to fill")
    if model is Prompt:
        return _fresh_prompt(ctx)
    if model is Assistant:
        return AssistantFactory(owner=ctx.user)
    values: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        if isinstance(f, models.ForeignKey):
            if f.related_model is model:
                continue  # self references (forked_from, ...) stay empty
            values[f.name] = _fk_value(f, ctx, depth, i)
        elif not (f.has_default() or f.null):
            values[f.name] = _value(f, i)
    return model.objects.create(**values)


def _assistant_with_prompt(ctx: Ctx):
    return ctx.assistant


# Lists whose rows the generic builder can't make (domain rules): name -> maker(ctx, i).
def _event_for_user(ctx: Ctx, i: int):
    from core.events import event_emit

    return event_emit(
        type="chain.completed", data={"chain": 1, "steps": i}, recipients=[ctx.user.pk]
    )


BUILDERS: dict[str, Callable[[Ctx, int], Any]] = {"events-list": _event_for_user}


def _model_of(route: ListRoute) -> type[models.Model]:
    view = route.view_cls()
    view.action = "list"
    view.kwargs = {}
    view.format_kwarg = None
    queryset = getattr(route.view_cls, "queryset", None)
    if queryset is not None:
        return queryset.model
    view.request = None
    serializer = view.get_serializer_class()
    return serializer.Meta.model


def _parent(kwarg: str, ctx: Ctx) -> models.Model:
    """The object a nested route hangs from: ``assistant_pk`` -> the caller's assistant, ..."""
    from django.apps import apps

    name = kwarg.removesuffix("_pk").removesuffix("_id")
    if name == "assistant":
        return ctx.assistant
    if name == "prompt":
        return _fresh_prompt(ctx)
    for model in apps.get_models():
        if model._meta.model_name == name or model._meta.model_name.endswith(name):
            return build(model, ctx)
    if name == "chain":
        return build(apps.get_model("training", "SwarmTrainingChain"), ctx)
    raise LookupError(f"no parent object for URL kwarg {kwarg}")


def _url(route: ListRoute, values: dict[str, int]) -> str:
    path = route.regex.replace("^", "").replace("$", "")
    for k, v in values.items():
        path = re.sub(rf"\(\?P<{k}>[^)]*\)", str(v), path)
    return "/" + path


ROUTES = list_routes()


def test_every_list_route_is_found():
    names = {r.name for r in ROUTES}
    assert {"prompts-list", "assistants-list"} <= names, names


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ["owner", "anonymous"])
@pytest.mark.django_db
def test_list_costs_the_same_queries_at_page_size_1_and_100(route: ListRoute, role: str):
    user = UserFactory()
    ctx = Ctx(user=user, assistant=AssistantFactory(owner=user))
    kwargs: dict[str, int] = {}
    for kwarg in route.kwargs:
        parent = _parent(kwarg, ctx)
        ctx.parents[type(parent)] = parent
        kwargs[kwarg] = parent.pk
    maker = BUILDERS.get(route.name)
    model = _model_of(route)
    for i in range(ROWS):
        if maker:
            maker(ctx, i)
        else:
            build(model, ctx, i=i)
    client = APIClient()
    if role == "owner":
        client.force_authenticate(user=user)
    url = _url(route, kwargs)
    r = client.get(url, {"page_size": 1})
    if role == "anonymous" and r.status_code in (401, 403, 404):
        pytest.skip(f"{route}: not readable anonymously")
    assert r.status_code == 200, (url, r.status_code, r.content[:500])
    sep = "&" if "?" in url else "?"
    n1, r1 = count_queries(lambda: client.get(f"{url}{sep}page_size=1"))
    n100, r100 = count_queries(lambda: client.get(f"{url}{sep}page_size=100"))
    rows = len(r100.json()["results"])  # type: ignore[attr-defined]
    assert len(r1.json()["results"]) == 1  # type: ignore[attr-defined]
    assert rows >= ROWS, f"{url}: {rows} rows visible to {role}, need {ROWS} to prove anything"
    assert n1 == n100, f"{url}: {n1} queries at page_size=1 but {n100} at page_size=100"
