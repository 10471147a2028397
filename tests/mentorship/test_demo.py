import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from core.models import Assistant, Prompt
from mentorship import demo
from mentorship.models import (
    AssistantMentorTag,
    BarterOffer,
    CurriculumAdoption,
    PromptCurriculumVault,
    PromptMentorshipLog,
    RitualTagBundle,
)

pytestmark = pytest.mark.django_db
MODELS = [
    AssistantMentorTag,
    PromptMentorshipLog,
    RitualTagBundle,
    PromptCurriculumVault,
    CurriculumAdoption,
    BarterOffer,
]


def _seed():
    demo.seed(
        users={u.username: u for u in User.objects.all()},
        assistants={
            (a.owner.username, a.name): a for a in Assistant.objects.select_related("owner")
        },
        prompts={p.title: p for p in Prompt.objects.all()},
    )


def test_demo_seed_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    _seed()
    counts = [m.objects.count() for m in MODELS]
    assert all(counts), counts
    _seed()
    assert counts == [m.objects.count() for m in MODELS]
    tag = AssistantMentorTag.objects.get()
    assert tag.mentor_score == pytest.approx(0.8 / 4)
    course = PromptCurriculumVault.objects.get(curriculum_title="Dawn course")
    assert course.adopter_count == 1
    assert course.exported_json["bundles"][0]["rituals"][0]["steps"]
