"""``represent``: a shared serializer per class answers each object as a fresh one would."""

import pytest

from api.economy.serializers import RatingSerializer
from api.represent import represent
from economy.services import prompt_rate
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db


def test_each_object_gets_its_own_representation_the_same_as_data():
    prompt = PromptFactory()
    entries = [
        prompt_rate(
            prompt=prompt,
            rater=AssistantFactory(),
            ritual_effectiveness=x,
            assistant_approval=1 - x,
            user_rating_tags=[f"t{x}"],
        )[0]
        for x in (0.25, 0.75)
    ]
    for entry in entries + entries:
        assert represent(RatingSerializer, entry) == RatingSerializer(entry).data
    assert represent(RatingSerializer, entries[0]) != represent(RatingSerializer, entries[1])
