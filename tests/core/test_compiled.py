"""``compiled_first``: compiled once per shape, run with each call's ids."""

import json

import pytest
from django.contrib.auth.models import User
from django.db.models import Value
from django.db.models.expressions import Col
from hypothesis import given, settings
from hypothesis import strategies as st

from core.access import prompt_visible_q
from core.compiled import _compiled, _json_column, compiled_first, compiled_rows
from core.models import Prompt
from tests.factories import AssistantFactory, PromptFactory, UserFactory


def _visible(*, prompt: int, user: int) -> dict | None:
    return compiled_first(
        shape="test:visible",
        build=lambda prompt, user: Prompt.objects.filter(
            prompt_visible_q(User(pk=user)), pk=prompt
        ).values("pk", "author_id")[:1],
        ids={"prompt": prompt, "user": user},
    )


@pytest.mark.django_db
def test_one_compiled_read_answers_each_call_with_its_own_ids():
    _compiled.clear()
    owner, stranger = UserFactory(), UserFactory()
    author = AssistantFactory(owner=owner)
    private = PromptFactory(author=author, is_public=False)
    public = PromptFactory(author=author, is_public=True)
    assert _visible(prompt=private.pk, user=owner.pk) == {"pk": private.pk, "author_id": author.pk}
    assert _visible(prompt=private.pk, user=stranger.pk) is None
    assert _visible(prompt=public.pk, user=stranger.pk) == {"pk": public.pk, "author_id": author.pk}
    assert len([k for k in _compiled if k[1] == "test:visible"]) == 1


@pytest.mark.django_db
def test_an_id_the_sql_does_not_take_as_a_parameter_is_refused():
    with pytest.raises(ValueError, match="not a parameter"):
        compiled_first(
            shape="test:inlined",
            build=lambda prompt: Prompt.objects.annotate(x=Value(1)).values("pk")[:1],
            ids={"prompt": 5},
        )


@pytest.mark.django_db
def test_compiled_rows_binds_a_text_id_in_place_of_its_stand_in():
    from core.compiled import _compiled_rows, compiled_rows

    _compiled_rows.clear()
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")

    def by_name(name: str) -> list[dict]:
        return compiled_rows(
            shape="test:by-name",
            build=lambda name: User.objects.filter(username=name).values("pk"),
            ids={"name": name},
        )

    assert by_name("alice") == [{"pk": alice.pk}]
    assert by_name("bob") == [{"pk": bob.pk}]
    assert by_name("carol") == []
    assert len([k for k in _compiled_rows if k[1] == "test:by-name"]) == 1


def _move(prompt: int, by: float, count: int) -> int:
    from django.db.models import F

    from core.compiled import compiled_update

    return compiled_update(
        shape="test:move",
        build=lambda prompt, by, count: (
            Prompt.objects.filter(pk=prompt),
            {"rating_sum": F("rating_sum") + by, "rating_count": F("rating_count") + count},
        ),
        values={"prompt": prompt, "by": by, "count": count},
    )


@pytest.mark.django_db
def test_compiled_update_runs_one_statement_with_each_calls_values():
    from core.compiled import _compiled_updates

    _compiled_updates.clear()
    first, second = PromptFactory(), PromptFactory()
    Prompt.objects.filter(pk__in=[first.pk, second.pk]).update(rating_sum=1.0, rating_count=2)
    assert _move(first.pk, 0.25, 1) == 1
    assert _move(second.pk, -0.5, 3) == 1
    assert _move(second.pk, 0.125, 0) == 1
    assert _move(10**9, 1.0, 1) == 0  # no such prompt: nothing updated
    rows = {
        pk: (total, count)
        for pk, total, count in Prompt.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "pk", "rating_sum", "rating_count"
        )
    }
    assert rows == {first.pk: (1.25, 3), second.pk: (0.625, 5)}
    assert len([k for k in _compiled_updates if k[1] == "test:move"]) == 1


@pytest.mark.django_db
def test_compiled_update_refuses_a_value_the_sql_does_not_take_as_a_parameter():
    from django.db.models import F

    from core.compiled import compiled_update

    with pytest.raises(ValueError, match="not a parameter"):
        compiled_update(
            shape="test:update-inlined",
            build=lambda prompt, by: (Prompt.objects.filter(pk=prompt), {"rating_sum": F("pk")}),
            values={"prompt": 1, "by": 0.5},
        )


@pytest.mark.django_db
def test_compiled_update_refuses_a_float_for_a_value_compiled_as_an_int():
    from core.compiled import _compiled_updates

    _compiled_updates.clear()
    prompt = PromptFactory()
    assert _move(prompt.pk, 0.25, 1) == 1
    with pytest.raises(TypeError, match="compiled as an int"):
        _move(prompt.pk, 0.25, 1.5)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_compiled_rows_decode_json_as_the_orm_does():
    """JSON columns are decoded by orjson, and what orjson would read otherwise (an integer past
    64 bits, which it turns into a float) by the field's own ``from_db_value``: the rows equal
    the ORM's ``values()``, types included."""
    values = [
        ["myth", "ünïcode ✓"],
        [2**70 + 1, -(2**64) - 1, -9999999999999999999, 2**63 - 1],
        {"nested": [1.5, None, True, 1e300, -0.0, 0.1]},
        [],
    ]
    prompts = []
    for tags in values:
        prompt = PromptFactory()
        Prompt.objects.filter(pk=prompt.pk).update(tags=tags)  # past the field's validation
        prompts.append(prompt.pk)
    rows = compiled_rows(
        shape="test:json",
        build=lambda: Prompt.objects.filter(pk__in=prompts).order_by("pk").values("pk", "tags"),
        ids={},
    )
    orm = list(Prompt.objects.filter(pk__in=prompts).order_by("pk").values("pk", "tags"))
    assert repr(rows) == repr(orm)  # types included: an int stays an int
    assert [row["tags"] for row in rows][:2] == values[:2]  # (PostgreSQL rewrites 1e300, -0.0)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_the_json_converter_reads_what_the_json_module_reads(value):
    field = Prompt._meta.get_field("tags")
    converter = _json_column(field.from_db_value, Col("core_prompt", field))
    assert converter is not field.from_db_value  # the fast converter is the one in use
    text = json.dumps(value)
    assert repr(converter(text, None, None)) == repr(json.loads(text))
