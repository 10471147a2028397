"""The admin: every changelist costs the same queries for 1 row and for 50 (related rows are
selected, not fetched per row); writes go through the services or are refused."""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.seed_scale import seed_scale
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def world(settings):
    """Rows of every registered model: the demo data, then a small generated data set."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    seed_scale(size="tiny", append=True, stdout=StringIO())
    settings.DEBUG = False
    _two_more_of_everything()


def _two_more_of_everything():
    """Rows the seeds make fewer than two of, built through the services."""
    from django.contrib.auth.models import Group
    from knox.models import AuthToken

    from economy import services as economy
    from economy.models import IdempotencyKey, PromptInjection
    from mentorship import services as mentorship
    from tests.economy.factories import LicenceFactory
    from tests.factories import AssistantFactory, PromptFactory, RitualFactory
    from tests.mentorship.factories import bundle_make, curriculum_make, mentor_make

    for i in range(2):
        a, b = AssistantFactory(), AssistantFactory()
        Group.objects.create(name=f"group-{i}")
        AuthToken.objects.create(user=a.owner)
        RitualFactory(owner=a)
        prompt = PromptFactory(author=a)
        LicenceFactory(assistant=b, prompt=prompt)
        PromptInjection.objects.create(assistant=b, prompt=prompt)
        economy.trust_observe(
            assistant=b, prompt=prompt, resonance=0.5, symbolic_compliance=0.5, mutation_bias=0.5
        )
        economy.vault_create(owner_assistant=a, prompts=[prompt])
        IdempotencyKey.objects.create(user=a.owner, key=f"k{i}", scope="s", fingerprint="f")
        mentor_make(a)
        mentorship.mentorship_adopt(mentor=a, mentee=b)
        bundle_make(a)
        target, offered = curriculum_make(a, cost_cents=0), curriculum_make(b, cost_cents=0)
        mentorship.curriculum_buy(curriculum=target, buyer=b)
        mentorship.barter_offer_create(
            target_curriculum=target, offerer=b, offered_curriculum=offered
        )


def _changelist_queries(client, model_admin, per_page: int) -> tuple[int, int]:
    meta = model_admin.model._meta
    model_admin.list_per_page = per_page
    try:
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(f"/admin/{meta.app_label}/{meta.model_name}/")
    finally:
        del model_admin.list_per_page
    assert r.status_code == 200, (meta.label, r.status_code)
    return len(ctx.captured_queries), len(r.context["cl"].result_list)


def test_every_changelist_costs_the_same_for_1_and_50_rows(superuser_client, world):
    too_few, grew = [], []
    for model, model_admin in admin.site._registry.items():
        n1, _ = _changelist_queries(superuser_client, model_admin, 1)
        n50, rows50 = _changelist_queries(superuser_client, model_admin, 50)
        ours = model._meta.app_label in {"core", "economy", "mentorship", "training", "auth"}
        if rows50 < 2 and ours:
            too_few.append(model._meta.label)
        elif n1 != n50:
            grew.append((model._meta.label, n1, n50))
    assert not grew, grew
    assert not too_few, f"no rows to prove anything: {too_few}"


# --- Writes go through the services ------------------------------------------------------------


def _rate(client, prompt, rater, effectiveness):
    r = client.post(
        f"/api/v1/prompts/{prompt.pk}/rate/",
        {"rater": rater.pk, "ritual_effectiveness": effectiveness, "assistant_approval": 1.0},
        format="json",
    )
    assert r.status_code == 201, r.content


def test_deleting_ratings_in_the_admin_moves_the_aggregate_back(superuser_client, client_for):
    from core.models import Prompt
    from economy.formulas import bayesian_trust_score
    from economy.models import PromptReputationScore
    from tests.factories import AssistantFactory, PromptFactory

    prompt = PromptFactory()
    raters = [AssistantFactory() for _ in range(3)]
    for rater, e in zip(raters, (0.0, 0.5, 1.0), strict=True):
        _rate(client_for(rater.owner), prompt, rater, e)
    first, second, third = PromptReputationScore.objects.order_by("id")
    r = superuser_client.post(
        f"/admin/economy/promptreputationscore/{first.pk}/delete/", {"post": "yes"}
    )
    assert r.status_code == 302
    prompt = Prompt.objects.get(pk=prompt.pk)
    assert prompt.rating_count == 2
    assert prompt.rating_sum == pytest.approx(second.trust_score + third.trust_score)
    assert prompt.trust_score == pytest.approx(bayesian_trust_score(prompt.rating_sum, 2))
    r = superuser_client.post(
        "/admin/economy/promptreputationscore/",
        {"action": "delete_selected", "_selected_action": [second.pk, third.pk], "post": "yes"},
    )
    assert r.status_code == 302
    prompt = Prompt.objects.get(pk=prompt.pk)
    assert (prompt.rating_count, prompt.rating_sum, prompt.trust_score) == (0, 0.0, 0.5)
    assert not PromptReputationScore.objects.exists()


def test_a_rating_cannot_be_edited_or_added_in_the_admin(superuser_client):
    from economy.models import PromptReputationScore
    from tests.factories import AssistantFactory, PromptFactory

    prompt, rater = PromptFactory(), AssistantFactory()
    from economy.services import prompt_rate

    entry, _ = prompt_rate(
        prompt=prompt, rater=rater, ritual_effectiveness=1.0, assistant_approval=1.0
    )
    url = f"/admin/economy/promptreputationscore/{entry.pk}/change/"
    assert superuser_client.post(url, {"trust_score": "0.0"}).status_code == 403
    assert superuser_client.get("/admin/economy/promptreputationscore/add/").status_code == 403
    assert PromptReputationScore.objects.get().trust_score == 1.0


def _curriculum_showing(prompt, ritual_owner):
    from mentorship import services as mentorship
    from tests.factories import RitualFactory
    from tests.mentorship.factories import curriculum_make

    ritual = RitualFactory(owner=ritual_owner, steps=[prompt] if prompt else [])
    bundle = mentorship.bundle_create(owner=ritual_owner, tag_name="t", rituals=[ritual])
    return ritual, curriculum_make(ritual_owner, bundles=[bundle])


def _prompt_form(prompt, **changes):
    import json

    data = {
        "title": prompt.title,
        "body": prompt.body,
        "tags": json.dumps(prompt.tags),
        "codex_clauses": json.dumps(prompt.codex_clauses),
        "is_public": "on" if prompt.is_public else "",
        "_save": "Save",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_editing_a_prompt_in_the_admin_rebuilds_curriculum_exports(superuser_client):
    from core.models import Prompt, content_hash
    from mentorship.models import PromptCurriculumVault
    from tests.factories import AssistantFactory, PromptFactory

    owner = AssistantFactory()
    prompt = PromptFactory(author=owner)
    _, curriculum = _curriculum_showing(prompt, owner)
    r = superuser_client.post(
        f"/admin/core/prompt/{prompt.pk}/change/",
        _prompt_form(prompt, title="Renamed", body="new body"),
    )
    assert r.status_code == 302, r.content
    prompt = Prompt.objects.get(pk=prompt.pk)
    assert (prompt.title, prompt.content_hash) == ("Renamed", content_hash("new body"))
    step = PromptCurriculumVault.objects.get(pk=curriculum.pk).exported_json["bundles"][0][
        "rituals"
    ][0]["steps"][0]
    assert (step["title"], step["content_hash"]) == ("Renamed", content_hash("new body"))


def test_a_rule_the_service_refuses_is_an_admin_error_and_changes_nothing(superuser_client):
    from core.models import Prompt
    from tests.factories import PromptFactory

    prompt = PromptFactory(title="Kept")
    r = superuser_client.post(
        f"/admin/core/prompt/{prompt.pk}/change/",
        _prompt_form(prompt, title="Lost", codex_clauses='["ghost"]'),
    )
    assert r.status_code == 302
    assert Prompt.objects.get(pk=prompt.pk).title == "Kept"
    from django.contrib.messages import get_messages

    shown = [str(m) for m in get_messages(r.wsgi_request)]
    assert shown == ["unknown_codex_clause: Unknown codex clause(s): ghost."]


def test_editing_a_ritual_in_the_admin_rebuilds_curriculum_exports(superuser_client):
    from mentorship.models import PromptCurriculumVault
    from tests.factories import AssistantFactory

    owner = AssistantFactory()
    ritual, curriculum = _curriculum_showing(None, owner)
    r = superuser_client.post(
        f"/admin/core/ritual/{ritual.pk}/change/",
        {
            "name": "Dusk",
            "description": "",
            "codex_clauses": "[]",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert r.status_code == 302, r.content
    exported = PromptCurriculumVault.objects.get(pk=curriculum.pk).exported_json
    assert exported["bundles"][0]["rituals"][0]["name"] == "Dusk"


def test_rows_kept_by_services_cannot_be_added_in_the_admin(superuser_client):
    from core.admin import ReadOnlyAdmin

    refused = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if isinstance(model_admin, ReadOnlyAdmin) or meta.label in {"core.Prompt", "core.Ritual"}:
            r = superuser_client.get(f"/admin/{meta.app_label}/{meta.model_name}/add/")
            refused.append((meta.label, r.status_code))
    assert len(refused) >= 20
    assert all(status == 403 for _, status in refused), refused
