import pytest
from django.core.management import call_command

from core.models import Assistant, Prompt
from training import demo
from training.models import AssistantReflectionChain, PromptMutationRing, SwarmTrainingChain

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    from django.contrib.auth.models import User

    users = {u.username: u for u in User.objects.all()}
    assistants = {(a.owner.username, a.name): a for a in Assistant.objects.select_related("owner")}
    prompts = {p.title: p for p in Prompt.objects.all()}
    for _ in range(2):
        demo.seed(users=users, assistants=assistants, prompts=prompts)
    chain = SwarmTrainingChain.objects.get(chain_title=demo.CHAIN_TITLE)
    assert chain.current_step == 3
    assert AssistantReflectionChain.objects.filter(chain=chain).count() == 3
    assert PromptMutationRing.objects.count() == 2
    assert chain.codex_tension > 0
