"""Every ordered list breaks ties by primary key (the default filter backend, no opt-in).

For every list route with ``ordering_fields`` (found from the URL configuration, as the
query-count test finds them), rows are made to tie on each ordering key in turn; paging through
them with page_size 1, 2 and 3 must give every row once, in primary-key order (the direction of
the view's default ordering), and the list's SQL must end its ORDER BY with the primary key.
"""

from __future__ import annotations

import math
import re

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from rest_framework.filters import OrderingFilter
from rest_framework.test import APIClient

from api.ordering import StableOrderingFilter, pk_tie_break
from tests.factories import AssistantFactory, UserFactory
from tests.perf.test_list_query_counts import (
    Ctx,
    ListRoute,
    _model_of,
    _parent,
    _url,
    build,
    list_routes,
)

ROWS = 4


def _ordering_backends(view_cls) -> list[type]:
    return [b for b in view_cls.filter_backends if issubclass(b, OrderingFilter)]


ORDERED = [r for r in list_routes() if _ordering_backends(r.view_cls)]


def test_ordered_lists_are_found_and_all_use_the_stable_backend():
    names = {r.name for r in ORDERED}
    assert {"prompts-list", "market-prompts-list", "assistants-trust-list"} <= names, names
    for route in ORDERED:
        assert all(issubclass(b, StableOrderingFilter) for b in _ordering_backends(route.view_cls))


def _field_path(route: ListRoute, view, key: str) -> str | None:
    """The model path an ordering key sorts by (an alias of the view's queryset resolved)."""
    annotation = view.get_queryset().query.annotations.get(key)
    if annotation is None:
        return key
    return annotation.name if isinstance(annotation, F) else None  # an aggregate: all 0 here


def _tie(model: type[models.Model], path: str) -> bool:
    """Give every row of ``model`` the same value at ``path``; False when a unique constraint
    forbids it (then rows can't tie on that key)."""
    *relations, name = path.split("__")
    target, pks = model, list(model.objects.values_list("pk", flat=True))
    for rel in relations:
        pks = list(target.objects.filter(pk__in=pks).values_list(rel, flat=True))
        target = target._meta.get_field(rel).related_model
    value = target.objects.filter(pk__in=pks).values_list(name, flat=True).first()
    try:
        with transaction.atomic():
            target.objects.filter(pk__in=pks).update(**{name: value})
    except IntegrityError:
        return False
    return True


def _pks(model: type[models.Model], lookup: str, rows: list[dict]) -> list[int]:
    """The rows' primary keys (a list keyed by another field, as codex clauses by ``code``,
    is mapped through the database)."""
    if lookup in ("pk", "id"):
        return [row["id"] for row in rows]
    pk_of = dict(model.objects.values_list(lookup, "pk"))
    return [pk_of[row[lookup]] for row in rows]


def _pages(client: APIClient, url: str, params: dict, size: int, to_pks) -> list[int]:
    first = client.get(url, {**params, "page_size": size})
    assert first.status_code == 200, first.content[:300]
    pages = math.ceil(first.json()["count"] / size)
    ids = to_pks(first.json()["results"])
    for page in range(2, pages + 1):
        r = client.get(url, {**params, "page_size": size, "page": page})
        assert r.status_code == 200, r.content[:300]
        ids += to_pks(r.json()["results"])
    return ids


def _select_list(sql: str) -> list[str]:
    """The outer SELECT's expressions (split on top-level commas, up to the top-level FROM)."""
    items, depth, start = [], 0, len("SELECT ")
    for i in range(start, len(sql)):
        ch = sql[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch == ",":
            items.append(sql[start:i].strip())
            start = i + 1
        elif depth == 0 and sql.startswith(" FROM ", i):
            items.append(sql[start:i].strip())
            break
    return items


def _last_order_term(sql: str) -> str:
    if "ORDER BY" not in sql:
        return ""
    tail = sql.rsplit("ORDER BY", 1)[1]
    tail = re.split(r"\s+LIMIT\s", tail)[0]
    term = tail.split(",")[-1].strip()
    # A values() list orders by position (``ORDER BY 1 DESC``): name the selected column.
    if (position := re.match(r"(\d+)\b", term)) is not None:
        term = _select_list(sql)[int(position[1]) - 1] + term[position.end() :]
    return term


@pytest.mark.django_db
@pytest.mark.parametrize("route", ORDERED, ids=str)
def test_rows_tying_on_any_ordering_key_page_in_primary_key_order(route: ListRoute):
    user = UserFactory()
    ctx = Ctx(user=user, assistant=AssistantFactory(owner=user))
    kwargs: dict[str, int] = {}
    for kwarg in route.kwargs:
        parent = _parent(kwarg, ctx)
        ctx.parents[type(parent)] = parent
        kwargs[kwarg] = parent.pk
    model = _model_of(route)
    for i in range(ROWS):
        build(model, ctx, i=i)
    client = APIClient()
    client.force_authenticate(user=user)
    url = _url(route, kwargs)

    view = route.view_cls()
    view.request = type("R", (), {"user": user, "query_params": {}})()
    view.kwargs, view.action, view.format_kwarg = kwargs, "list", None
    descending = pk_tie_break(route.view_cls.ordering, model._meta.pk.name) == "-pk"
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = f"{table}.{connection.ops.quote_name(model._meta.pk.column)}"

    def to_pks(rows: list[dict]) -> list[int]:
        return _pks(model, route.view_cls.lookup_field, rows)

    def check(ordering: str | None) -> None:
        """All rows tie on ``ordering``'s key: one order, by primary key, on every page size."""
        params = {"ordering": ordering} if ordering else {}
        with CaptureQueriesContext(connection) as queries:
            whole = client.get(url, {**params, "page_size": 100}).json()["results"]
        expected = to_pks(whole)
        assert len(expected) >= ROWS, (url, expected)
        assert expected == sorted(expected, reverse=descending), (url, ordering, expected)
        listed = [
            q["sql"]
            for q in queries.captured_queries
            if "LIMIT" in q["sql"] and table in q["sql"] and not q["sql"].startswith("SELECT COUNT")
        ]
        assert listed, (url, ordering)
        for sql in listed:
            assert _last_order_term(sql).startswith(pk_column), (url, ordering, sql)
        for size in (1, 2, 3):
            assert _pages(client, url, params, size, to_pks) == expected, (url, ordering, size)

    tied: set[str] = {"id", "pk", model._meta.pk.name}
    checked = 0
    for key in route.view_cls.ordering_fields:
        if key in tied:
            continue
        path = _field_path(route, view, key)
        if path is not None and not _tie(model, path):
            continue  # a unique key: rows can't tie on it
        tied.add(key)
        checked += 1
        check(key)
        check(f"-{key}")
    if {k.lstrip("-") for k in route.view_cls.ordering} <= tied:
        check(None)
    assert checked, f"{url}: no ordering key could be tied"


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        (["-id"], "-pk"),
        (["id"], "pk"),
        (["code"], "pk"),
        (["-created_at"], "-pk"),
        (["name", "-id"], "-pk"),
        (None, "-pk"),
        ([], "-pk"),
    ],
)
def test_the_tie_break_follows_the_default_ordering(default, expected):
    assert pk_tie_break(default) == expected


@pytest.mark.django_db
def test_a_view_without_a_declared_ordering_keeps_the_querysets_own_made_total(rf):
    from django.contrib.auth.models import User

    from core.models import Prompt

    class View:
        ordering_fields = ["title"]

    request = rf.get("/")
    request.query_params = request.GET
    backend = StableOrderingFilter()
    assert backend.get_ordering(request, Prompt.objects.order_by("title"), View()) == [
        "title",
        "-pk",
    ]
    assert backend.get_ordering(request, Prompt.objects.order_by(), View()) == [
        *Prompt._meta.ordering
    ]
    assert backend.get_ordering(request, User.objects.all(), View()) == ["-pk"]
