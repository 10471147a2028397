"""The v1 includes, and the patterns inside them, are ordered hot routes first (api/urls.py,
api/economy/urls.py); that is safe only while no two of them match the same path, so that the
order decides how soon a route is found, never which view answers. Every path of the schema is
matched by exactly one include, and inside it by exactly one pattern."""

import re
from pathlib import Path

import pytest
import yaml
from django.urls import Resolver404

from api.urls import v1

SCHEMA = yaml.safe_load((Path(__file__).parents[2] / "openapi" / "schema.yaml").read_text())
PATHS = [p for p in SCHEMA["paths"] if p.startswith("/api/v1/")]


def _matches(pattern, path: str) -> bool:
    try:
        return pattern.resolve(path) is not None
    except Resolver404:
        return False


def test_the_schema_has_v1_paths():
    assert len(PATHS) > 50


@pytest.mark.parametrize("path", PATHS)
def test_each_path_is_matched_by_one_include(path):
    concrete = re.sub(r"\{[^}]+\}", "1", path).removeprefix("/api/v1/")
    matching = [str(include.pattern) for include in v1 if _matches(include, concrete)]
    assert len(matching) == 1, (path, matching)


@pytest.mark.parametrize("path", PATHS)
def test_each_path_is_matched_by_one_pattern_of_its_include(path):
    concrete = re.sub(r"\{[^}]+\}", "1", path).removeprefix("/api/v1/")
    (include,) = [include for include in v1 if _matches(include, concrete)]
    rest = concrete.removeprefix(str(include.pattern))
    matching = [str(p.pattern) for p in include.url_patterns if _matches(p, rest)]
    assert len(matching) == 1, (path, matching)
