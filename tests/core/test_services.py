import pytest
from django.db.models import F

from core import services
from core.models import Prompt, content_hash
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db


def test_prompt_update_keeps_counters_changed_meanwhile():
    """The view reads the prompt, a rating or fork lands, then the author's edit is saved: the
    edit must not write back the counters it read."""
    stale = PromptFactory()
    Prompt.objects.filter(pk=stale.pk).update(
        rating_count=F("rating_count") + 1,
        rating_sum=F("rating_sum") + 0.8,
        fork_count=F("fork_count") + 1,
    )
    services.prompt_update(prompt=stale, title="Edited", body="new body")
    fresh = Prompt.objects.get(pk=stale.pk)
    assert (fresh.title, fresh.body) == ("Edited", "new body")
    assert (fresh.rating_count, fresh.rating_sum, fresh.fork_count) == (1, 0.8, 1)
    assert fresh.content_hash == content_hash("new body")
