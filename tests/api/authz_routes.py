"""The routes of the authorisation matrix, collected from the URL configuration at import time:
every route under ``/api/v1/`` and method its view allows, the writes, the private reads, and
the writes that name an acting assistant."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.fields import ActingAssistantField

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


def view_for(route: Route, user, path: str = "/"):
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
        found.append(view_for(route, AnonymousLikeUser()).get_serializer_class())
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
