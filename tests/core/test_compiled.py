"""``compiled_first``: compiled once per shape, run with each call's ids."""

import pytest
from django.contrib.auth.models import User
from django.db.models import Value

from core.access import prompt_visible_q
from core.compiled import _compiled, compiled_first
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
