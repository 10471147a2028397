import pytest
from django.core.management import CommandError, call_command

from core.models import Assistant, CodexClause, Prompt, Ritual

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        Assistant.objects.count(),
        Prompt.objects.count(),
        Ritual.objects.count(),
        CodexClause.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Assistant.objects.count(),
        Prompt.objects.count(),
        Ritual.objects.count(),
        CodexClause.objects.count(),
    )
    assert counts[0] >= 3
    assert counts[1] >= 5
    assert counts[2] >= 1
    assert counts[3] >= 3
    from economy.models import PromptTokenListing
    from mentorship.models import AssistantMentorTag
    from training.models import SwarmTrainingChain

    assert PromptTokenListing.objects.filter(is_active=True).exists()
    assert AssistantMentorTag.objects.exists()
    assert SwarmTrainingChain.objects.exists()
    versioned = Prompt.objects.get(title="Mirror of doubt")
    assert versioned.version == 3
    assert list(versioned.versions.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
    assert versioned.labels.get(name="live").version.number == 2


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert Assistant.objects.count() == 0
