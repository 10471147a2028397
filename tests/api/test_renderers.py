"""``FastJSONRenderer`` writes the bytes DRF's ``JSONRenderer`` writes, for values where orjson's
own notation differs from Python's."""

import pytest
from rest_framework.renderers import JSONRenderer

from api.renderers import FastJSONRenderer


@pytest.mark.parametrize(
    "value",
    [1e-05, -2.5e-07, 9e-09, 1e-10, 0.0001, 0.00012, 1e16, 1.5e300, 0.1, 0.0, "x 1e-5 here-2"],
)
def test_floats_are_written_as_drf_writes_them(value):
    data = {"results": [{"trust_score": value, "n": 1}]}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_an_indent_asked_for_by_the_browsable_api_is_written_as_drf_indents():
    data = {"results": [{"title": "x", "n": 1}]}
    context = {"indent": 4}
    body = FastJSONRenderer().render(data, "application/json", context)
    assert body == JSONRenderer().render(data, "application/json", context)
    assert b"\n    " in body
