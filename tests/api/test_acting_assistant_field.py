"""``ActingAssistantField`` reads the assistant through a compiled statement: it answers every
input exactly as ``PrimaryKeyRelatedField``'s ``queryset.get(pk=...)`` does."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions, serializers

from api.fields import ActingAssistantField
from api.permissions import check_acting_assistant
from core.models import Assistant
from tests.factories import AssistantFactory

pytestmark = pytest.mark.django_db


def _outcome(convert, data):
    try:
        assistant = convert(data)
    except serializers.ValidationError as error:
        return ("invalid", [str(e.code) for e in error.detail])
    except exceptions.PermissionDenied as error:
        return ("denied", error.get_codes())
    return ("ok", assistant.pk, assistant.owner_id, assistant.name)


def _field(user) -> ActingAssistantField:
    field = ActingAssistantField()
    field.bind("assistant", serializers.Serializer(context={"request": SimpleNamespace(user=user)}))
    return field


@pytest.mark.parametrize(
    "make_data",
    [
        lambda a: a.pk,
        lambda a: str(a.pk),
        lambda a: Decimal(a.pk),
        lambda a: 999_999_999,
        lambda a: 2**70,
        lambda a: -(2**70),
        lambda a: "x",
        lambda a: True,
        lambda a: None,
        lambda a: [a.pk],
        lambda a: {"id": a.pk},
    ],
)
def test_answers_as_the_orm_lookup(user, other_user, make_data):
    mine = AssistantFactory(owner=user)
    theirs = AssistantFactory(owner=other_user)
    for assistant in (mine, theirs):
        data = make_data(assistant)
        field = _field(user)

        def orm(value, field=field):
            found = serializers.PrimaryKeyRelatedField.to_internal_value(field, value)
            return check_acting_assistant(user, found)

        assert _outcome(field.to_internal_value, data) == _outcome(orm, data)


def test_the_assistant_is_a_full_instance_read_in_one_statement(user):
    mine = AssistantFactory(owner=user)
    field = _field(user)
    with CaptureQueriesContext(connection) as queries:
        assistant = field.to_internal_value(mine.pk)
    assert len(queries.captured_queries) == 1
    assert isinstance(assistant, Assistant)
    fresh = Assistant.objects.get(pk=mine.pk)
    for f in Assistant._meta.concrete_fields:
        assert getattr(assistant, f.attname) == getattr(fresh, f.attname)
    assert not assistant._state.adding
