"""A hostile walk: every write endpoint, a valid body with one field (or one nested field) at a
time replaced by a value no client should send. Whatever the answer, never a 5xx."""

import pytest
from django.core.cache import cache

from economy.models import PromptTokenListing
from mentorship.models import AssistantMentorTag, PromptMentorshipLog
from tests.factories import CodexClauseFactory, PromptFactory, RitualFactory
from tests.mentorship.factories import bundle_make, curriculum_make
from tests.training.factories import make_chain

pytestmark = pytest.mark.django_db

HOSTILE = [
    None,
    True,
    2**63,
    "x" * 70_000,
    "\x00",
    [[[]]],
    1e308,
    {"memory": 2},
]


def test_no_write_answers_5xx_whatever_one_field_holds(
    owner_client, assistant, other_assistant, staff_client
):
    CodexClauseFactory(code="memory")
    a, o = assistant.pk, other_assistant.pk
    p = PromptFactory(author=assistant, is_public=True)
    p_unlisted = PromptFactory(author=assistant, is_public=True)
    p2 = PromptFactory(author=other_assistant, is_public=True)
    r = RitualFactory(owner=assistant)
    listing = PromptTokenListing.objects.create(
        prompt=PromptFactory(author=other_assistant), token_cost_cents=100
    )
    own_listing = PromptTokenListing.objects.create(
        prompt=PromptFactory(author=assistant), token_cost_cents=100
    )
    b = bundle_make(assistant, tag_name="t")
    c = curriculum_make(assistant)
    c2 = curriculum_make(other_assistant)
    ch = make_chain(seed=assistant, involved=[assistant, other_assistant])
    AssistantMentorTag.objects.create(assistant=other_assistant).offered_prompts.set([p2])
    log = PromptMentorshipLog.objects.create(mentor=other_assistant, mentee=assistant)
    v = owner_client.post(
        "/api/v1/vaults/", {"owner_assistant": a, "prompts": [p.pk]}, format="json"
    ).json()
    U = 0.5
    cases = [
        (
            "post",
            "/api/v1/prompts/",
            {
                "author": a,
                "title": "t",
                "body": "b",
                "tags": ["x"],
                "codex_clauses": ["memory"],
                "is_public": True,
            },
        ),
        (
            "patch",
            f"/api/v1/prompts/{p.pk}/",
            {
                "title": "t",
                "body": "b",
                "tags": ["x"],
                "codex_clauses": ["memory"],
                "is_public": True,
            },
        ),
        ("post", f"/api/v1/prompts/{p.pk}/fork/", {"assistant": a, "title": "f"}),
        (
            "post",
            f"/api/v1/prompts/{p2.pk}/rate/",
            {
                "rater": a,
                "ritual_effectiveness": U,
                "assistant_approval": U,
                "user_rating_tags": ["x"],
                "symbolic_tags": ["y"],
            },
        ),
        (
            "post",
            f"/api/v1/prompts/{p.pk}/mutate/",
            {"assistant": a, "body": "b", "title": "t", "belief_delta": 0.1},
        ),
        (
            "post",
            "/api/v1/rituals/",
            {
                "owner": a,
                "name": "n",
                "description": "d",
                "steps": [p.pk],
                "codex_clauses": ["memory"],
            },
        ),
        (
            "patch",
            f"/api/v1/rituals/{r.pk}/",
            {"name": "n", "description": "d", "steps": [p.pk], "codex_clauses": ["memory"]},
        ),
        ("post", "/api/v1/assistants/", {"name": "n", "description": "d"}),
        ("patch", f"/api/v1/assistants/{a}/", {"name": "n", "description": "d"}),
        (
            "post",
            f"/api/v1/assistants/{a}/trust/",
            {"prompt": p2.pk, "resonance": U, "symbolic_compliance": U, "mutation_bias": U},
        ),
        (
            "post",
            "/api/v1/market/prompts/",
            {
                "prompt": p_unlisted.pk,
                "token_cost": "1.00",
                "symbolic_tag_weight": U,
                "codex_usage_score": U,
            },
        ),
        (
            "patch",
            f"/api/v1/market/prompts/{own_listing.pk}/",
            {"token_cost": "2.00", "symbolic_tag_weight": U, "codex_usage_score": U},
        ),
        ("post", f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": a}),
        ("post", f"/api/v1/market/prompts/{listing.pk}/inject/", {"assistant": a}),
        ("post", f"/api/v1/market/prompts/{listing.pk}/fork/", {"assistant": a, "title": "x"}),
        (
            "post",
            f"/api/v1/market/prompts/{listing.pk}/rate/",
            {"rater": a, "ritual_effectiveness": U, "assistant_approval": U},
        ),
        ("post", "/api/v1/vaults/", {"owner_assistant": a, "name": "v", "prompts": [p.pk]}),
        (
            "post",
            "/api/v1/vaults/import/",
            {
                "assistant": a,
                "exported_json": v["exported_json"],
                "symbolic_signature": v["symbolic_signature"],
            },
        ),
        (
            "post",
            f"/api/v1/assistants/{a}/mentorship/tag/",
            {"mentorship_notes": "n", "offered_prompts": [p.pk]},
        ),
        (
            "post",
            f"/api/v1/assistants/{o}/mentorship/adopt/",
            {"mentee": a, "prompts": [p2.pk], "mutation_notes": "m"},
        ),
        ("post", f"/api/v1/mentorships/{log.pk}/feedback/", {"trust_delta": U}),
        (
            "post",
            "/api/v1/ritual-bundles/",
            {"owner": a, "tag_name": "t2", "rituals": [r.pk], "codex_clauses": ["memory"]},
        ),
        (
            "patch",
            f"/api/v1/ritual-bundles/{b.pk}/",
            {"tag_name": "t3", "rituals": [r.pk], "codex_clauses": ["memory"]},
        ),
        (
            "post",
            "/api/v1/market/curriculum/",
            {
                "curator": a,
                "curriculum_title": "c",
                "ritual_tags": [b.pk],
                "codex_alignment": {"memory": U},
                "token_cost": "1.00",
                "is_active": True,
            },
        ),
        (
            "patch",
            f"/api/v1/market/curriculum/{c.pk}/",
            {
                "curriculum_title": "c",
                "ritual_tags": [b.pk],
                "codex_alignment": {"memory": U},
                "token_cost": "1.00",
                "is_active": True,
            },
        ),
        ("post", f"/api/v1/market/curriculum/{c2.pk}/buy/", {"buyer": a}),
        ("post", f"/api/v1/market/curriculum/{c2.pk}/clone/", {"assistant": a}),
        (
            "post",
            f"/api/v1/market/curriculum/{c2.pk}/barter/",
            {"offerer": a, "offered_curriculum": c.pk},
        ),
        (
            "post",
            "/api/v1/train/chains/",
            {
                "chain_title": "t",
                "seed_assistant": a,
                "involved_assistants": [a, o],
                "max_steps": 5,
            },
        ),
        (
            "post",
            f"/api/v1/train/chains/{ch.pk}/step/",
            {
                "reflection_notes": "n",
                "memory_snapshot": {"a": 1},
                "belief_delta": 0.1,
                "expected_step": 0,
                "mutation": {"parent_prompt": p.pk, "body": "b", "title": "t"},
            },
        ),
        ("post", "/api/v1/codex-clauses/", {"code": "c2", "text": "t"}),
        ("patch", "/api/v1/codex-clauses/memory/", {"text": "t"}),
        (
            "post",
            "/api/v1/auth/register/",
            {"username": "u1", "password": "a-long-enough-pass", "email": "e@x.com"},
        ),
        ("post", "/api/v1/auth/login/", {"username": "u1", "password": "a-long-enough-pass"}),
    ]
    fails = []
    stats = {}
    n = 0
    for method, url, base in cases:
        variants = []
        for k in base:
            for val in HOSTILE:
                variants.append({**base, k: val})
            if isinstance(base[k], dict):
                for kk in base[k]:
                    for val in HOSTILE:
                        variants.append({**base, k: {**base[k], kk: val}})
        for body in variants:
            client = staff_client if "codex" in url else owner_client
            client.raise_request_exception = False
            cache.clear()  # throttles must not hide what a body would do
            resp = getattr(client, method)(url, body, format="json")
            stats[resp.status_code] = stats.get(resp.status_code, 0) + 1
            n += 1
            if resp.status_code >= 500:
                fails.append((method, url, repr(body)[:160], resp.status_code))
    assert not fails
    assert n > 500, n
    assert stats.get(201, 0) > 20, stats  # the baselines are valid bodies
