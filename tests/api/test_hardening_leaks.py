"""A prompt the caller may not see is, to every field and path that takes a prompt id, the same
as a prompt that does not exist: same status, same codes, same details but for the id."""

import importlib
import inspect

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers

from api.fields import VisiblePromptField, VisiblePromptListField
from core.models import Prompt, Ritual
from economy.models import AssistantPromptTrustMap, PromptMarketplaceVault, PromptTokenListing
from mentorship.models import AssistantMentorTag, PromptMentorshipLog
from tests.factories import PromptFactory, RitualFactory
from tests.training.factories import make_chain
from training.models import AssistantReflectionChain

pytestmark = pytest.mark.django_db

ABSENT = 777_777  # no prompt at all


@pytest.fixture
def world(assistant, other_assistant):
    hidden = PromptFactory(author=other_assistant, is_public=False, title="secret")
    offered = PromptFactory(author=other_assistant, is_public=True)
    tag = AssistantMentorTag.objects.create(assistant=other_assistant)
    # Offered while public, then made private: the mentee may no longer see it.
    tag.offered_prompts.set([offered, hidden])
    return {
        "hidden": hidden.pk,  # a private prompt of another user
        "ritual": RitualFactory(owner=assistant),
        "chain": make_chain(seed=assistant, involved=[assistant]),
    }


UNIT = {"resonance": 0.5, "symbolic_compliance": 0.5, "mutation_bias": 0.5}
RATE = {"ritual_effectiveness": 0.5, "assistant_approval": 0.5}


def _requests(a, other, world):
    """(name, method, url, body) for every request that names a prompt id ``{id}``."""
    return [
        ("ritual steps", "post", "/api/v1/rituals/", {"owner": a, "name": "r", "steps": ["{id}"]}),
        ("ritual update", "patch", f"/api/v1/rituals/{world['ritual'].pk}/", {"steps": ["{id}"]}),
        ("vault prompts", "post", "/api/v1/vaults/", {"owner_assistant": a, "prompts": ["{id}"]}),
        (
            "mentor offers",
            "post",
            f"/api/v1/assistants/{a}/mentorship/tag/",
            {"offered_prompts": ["{id}"]},
        ),
        (
            "mentorship adopt",
            "post",
            f"/api/v1/assistants/{other}/mentorship/adopt/",
            {"mentee": a, "prompts": ["{id}"]},
        ),
        ("listing", "post", "/api/v1/market/prompts/", {"prompt": "{id}", "token_cost": "1.00"}),
        ("trust", "post", f"/api/v1/assistants/{a}/trust/", {"prompt": "{id}", **UNIT}),
        (
            "step mutation parent",
            "post",
            f"/api/v1/train/chains/{world['chain'].pk}/step/",
            {
                "reflection_notes": "n",
                "memory_snapshot": {},
                "belief_delta": 0.1,
                "mutation": {"parent_prompt": "{id}", "body": "b"},
            },
        ),
        ("detail", "get", "/api/v1/prompts/{id}/", None),
        ("update", "patch", "/api/v1/prompts/{id}/", {"title": "t"}),
        ("delete", "delete", "/api/v1/prompts/{id}/", None),
        ("fork", "post", "/api/v1/prompts/{id}/fork/", {"assistant": a}),
        ("rate", "post", "/api/v1/prompts/{id}/rate/", {"rater": a, **RATE}),
        ("reputation", "get", "/api/v1/prompts/{id}/reputation/", None),
        ("ratings", "get", "/api/v1/prompts/{id}/ratings/", None),
        ("lineage", "get", "/api/v1/prompts/{id}/lineage/", None),
        (
            "mutate",
            "post",
            "/api/v1/prompts/{id}/mutate/",
            {"assistant": a, "body": "b", "belief_delta": 0.1},
        ),
        ("forks filter", "get", "/api/v1/prompts/?forked_from={id}", None),
        ("mutations filter", "get", "/api/v1/mutations/?parent={id}", None),
        ("listings filter", "get", "/api/v1/market/prompts/?prompt={id}&is_active=false", None),
        ("trust filter", "get", f"/api/v1/assistants/{a}/trust/?prompt={id}", None),
    ]


def _fill(value, pk):
    if value == "{id}":
        return pk
    if isinstance(value, dict):
        return {k: _fill(v, pk) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, pk) for v in value]
    return value


def _answer(client, method, url, body, pk) -> tuple:
    r = getattr(client, method)(url.replace("{id}", str(pk)), _fill(body, pk), format="json")
    text = r.content.decode().replace(str(pk), "<id>")
    return r.status_code, text


def _counts() -> tuple:
    models = [
        Prompt,
        Ritual,
        PromptMarketplaceVault,
        PromptTokenListing,
        AssistantPromptTrustMap,
        PromptMentorshipLog,
        AssistantReflectionChain,
    ]
    return tuple(m.objects.count() for m in models)


def test_a_hidden_prompt_answers_as_an_absent_one_everywhere(
    owner_client, assistant, other_assistant, world
):
    before = _counts()
    for name, method, url, body in _requests(assistant.pk, other_assistant.pk, world):
        hidden = _answer(owner_client, method, url, body, world["hidden"])
        absent = _answer(owner_client, method, url, body, ABSENT)
        assert hidden == absent, (name, hidden, absent)
        assert hidden[0] in {200, 400, 404}, (name, hidden)
        assert "secret" not in hidden[1], name
    assert _counts() == before


def test_the_hidden_prompt_is_usable_by_its_owner(other_client, other_assistant, world):
    """The same requests are not refused for the author: the test above compares real hiding."""
    r = other_client.post(
        "/api/v1/rituals/",
        {"owner": other_assistant.pk, "name": "r", "steps": [world["hidden"]]},
        format="json",
    )
    assert r.status_code == 201, r.content
    r = other_client.post(
        "/api/v1/vaults/",
        {"owner_assistant": other_assistant.pk, "prompts": [world["hidden"]]},
        format="json",
    )
    assert r.status_code == 201, r.content


def _api_serializers():
    """Every serializer class the API's views use (imported through the URL conf)."""

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                yield p.callback.__module__

    modules = {m for m in walk(get_resolver().url_patterns) if m.startswith("api.")}
    modules |= {m.rsplit(".", 2)[0] + ".serializers" for m in modules if m.count(".") >= 2}
    found = set()
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, serializers.BaseSerializer):
                found.add(obj)
    return found


def test_every_writable_prompt_id_field_hides_what_the_caller_may_not_see():
    checked = []
    for cls in _api_serializers():
        for name, field in getattr(cls, "_declared_fields", {}).items():
            if field.read_only:
                continue
            child = getattr(field, "child_relation", None) or field
            model = getattr(getattr(child, "queryset", None), "model", None)
            if isinstance(child, VisiblePromptField | VisiblePromptListField):
                checked.append(f"{cls.__name__}.{name}")
            else:
                assert model is not Prompt, f"{cls.__name__}.{name} resolves every prompt"
    assert len(checked) >= 7, checked
