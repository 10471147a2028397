"""The reputation page is written from one annotated prompt row and plain entry rows
(``reputation_representation``) and rendered by orjson: byte for byte what
``ReputationSerializer`` (``RatingSerializer`` per entry) and DRF's ``JSONRenderer`` write for
the same prompt, in two queries whatever the number of ratings."""

from collections import Counter

import pytest
from django.db.models import Avg
from rest_framework.renderers import JSONRenderer

from api.economy.serializers import ReputationSerializer
from economy.models import PromptReputationScore
from tests.conftest import count_queries
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db

RATINGS = [
    (1.0, 1.0, ["clear", "ünï"], ["sea"]),
    (0.0, 0.5, ["clear", "dull"], []),
    (0.1, 0.2, [], ["sea", "sky"]),
    (0.3333333333333333, 0.7, ["dull"], ["sky", "sea", "abyss"]),
]


def serializer_answer(prompt, url: str) -> bytes:
    ratings = PromptReputationScore.objects.filter(prompt=prompt)
    means = ratings.aggregate(
        ritual_effectiveness=Avg("ritual_effectiveness"),
        assistant_approval=Avg("assistant_approval"),
        trust_score=Avg("trust_score"),
    )

    def histogram(field: str) -> dict:
        counts = Counter(tag for r in ratings for tag in getattr(r, field))
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    data = {
        "prompt": prompt.pk,
        "trust_score": prompt.trust_score,
        "rating_count": prompt.rating_count,
        "means": means,
        "user_rating_tags": histogram("user_rating_tags"),
        "symbolic_tags": histogram("symbolic_tags"),
        "entries": list(ratings[:50]),
        "entries_limit": 50,
        "ratings_url": f"http://testserver/api/v1/prompts/{prompt.pk}/ratings/",
    }
    return JSONRenderer().render(ReputationSerializer(data).data)


@pytest.mark.parametrize("rated", [True, False])
def test_reputation_writes_what_the_serializer_writes(anon_client, assistant, rated):
    prompt = PromptFactory(author=assistant)
    if rated:
        for eff, appr, utags, stags in RATINGS:
            PromptReputationScore.objects.create(
                prompt=prompt,
                rater=AssistantFactory(),
                ritual_effectiveness=eff,
                assistant_approval=appr,
                trust_score=0.5 * eff + 0.5 * appr,
                user_rating_tags=utags,
                symbolic_tags=stags,
            )
        prompt.rating_count, prompt.trust_score = len(RATINGS), 0.6123456789012345
        prompt.save(update_fields=["rating_count", "trust_score"])
    url = f"/api/v1/prompts/{prompt.pk}/reputation/"
    queries, response = count_queries(lambda: anon_client.get(url))
    assert response.status_code == 200, response.content
    prompt.refresh_from_db()
    assert response.content == serializer_answer(prompt, url)
    assert queries == 2  # was 5: prompt, means, two histograms, entries
    if rated:
        body = response.json()
        assert body["symbolic_tags"] == {"sea": 3, "sky": 2, "abyss": 1}
        assert list(body["user_rating_tags"]) == ["clear", "dull", "ünï"]


def test_reputation_statements_compiled_once_serve_each_prompt_and_caller(
    anon_client, owner_client, other_client, assistant
):
    """One compiled statement per kind of caller, run with each prompt's and caller's id: each
    prompt gets its own figures and entries, a private prompt is its owner's alone."""
    from core.compiled import _compiled_rows

    _compiled_rows.clear()
    prompts = [PromptFactory(author=assistant) for _ in range(2)]
    for n, prompt in enumerate(prompts):
        for eff, appr, utags, stags in RATINGS[: n + 1]:
            PromptReputationScore.objects.create(
                prompt=prompt,
                rater=AssistantFactory(),
                ritual_effectiveness=eff,
                assistant_approval=appr,
                trust_score=0.5 * eff + 0.5 * appr,
                user_rating_tags=utags,
                symbolic_tags=stags,
            )
    for prompt in prompts:
        url = f"/api/v1/prompts/{prompt.pk}/reputation/"
        response = anon_client.get(url)
        assert response.content == serializer_answer(prompt, url)
    assert (
        len(anon_client.get(f"/api/v1/prompts/{prompts[1].pk}/reputation/").json()["entries"]) == 2
    )
    private = PromptFactory(author=assistant, is_public=False)
    url = f"/api/v1/prompts/{private.pk}/reputation/"
    assert owner_client.get(url).status_code == 200
    assert other_client.get(url).status_code == 404
    assert anon_client.get(url).status_code == 404
    assert sorted(str(key[1]) for key in _compiled_rows) == [
        "('reputation-prompt', 'anonymous')",
        "('reputation-prompt', 'user')",
        "reputation-entries",
    ]
