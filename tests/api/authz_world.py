"""The world of the authorisation matrix: one row of every model of the project's apps (filled
generically, with foreign keys to the owner's rows), a value for each path parameter, and the
whole database's snapshot so "nothing changed" means exactly that."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.authz_routes import (
    PROJECT_APPS,
    Route,
    view_for,
)

# --- The world the requests act on ------------------------------------------------------------


def autofill(model, owner_assistant, owner_user, depth: int = 0):
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
                values[f.name] = autofill(target, owner_assistant, owner_user, depth + 1)
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


def _model_for_param(route: Route, param: str, world: World):
    """The model a path parameter points into: the view's queryset for the lookup, else the model
    whose name matches ``<name>_pk``/``<name>_id``."""
    cls = route.view_class
    lookup = getattr(cls, "lookup_url_kwarg", None) or getattr(cls, "lookup_field", "pk")
    if param == lookup:
        try:
            view = view_for(route, world.owner)
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


def send(client: APIClient, route: Route, path: str, body: dict | None = None):
    return getattr(client, route.method)(path, body if body is not None else {}, format="json")
