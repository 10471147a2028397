import pytest

from economy.models import AssistantPromptTrustMap
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db


def observe(client, assistant, prompt, **kw):
    body = {
        "prompt": prompt.id,
        "resonance": 0.9,
        "symbolic_compliance": 0.8,
        "mutation_bias": 0.1,
        **kw,
    }
    return client.post(f"/api/v1/assistants/{assistant.id}/trust/", body, format="json")


def test_trust_map_updates_resonance_and_compliance(owner_client, assistant, other_assistant):
    """Seed testing goal: assistant trust maps update resonance and compliance scores."""
    p = PromptFactory(author=other_assistant)
    r = observe(owner_client, assistant, p)
    assert r.status_code == 201, r.content
    first = r.json()
    assert (first["resonance_score"], first["symbolic_compliance"], first["mutation_bias"]) == (
        0.9,
        0.8,
        0.1,
    )
    assert first["dreamframe_volatility"] == 0.0
    assert first["observation_count"] == 1
    r = observe(
        owner_client, assistant, p, resonance=0.1, symbolic_compliance=0.0, mutation_bias=1.0
    )
    second = r.json()
    assert second["resonance_score"] == pytest.approx(0.3 * 0.1 + 0.7 * 0.9)
    assert second["symbolic_compliance"] == pytest.approx(0.7 * 0.8)
    assert second["mutation_bias"] == pytest.approx(0.3 + 0.7 * 0.1)
    assert second["dreamframe_volatility"] == pytest.approx(0.3 * 0.8)
    assert second["observation_count"] == 2
    row = AssistantPromptTrustMap.objects.get()
    assert row.resonance_score == pytest.approx(0.66)
    assert row.observation_count == 2


def test_alpha_from_settings(settings, owner_client, assistant):
    settings.TRUST_EMA_ALPHA = 1.0
    p = PromptFactory()
    observe(owner_client, assistant, p)
    assert observe(owner_client, assistant, p, resonance=0.2).json()["resonance_score"] == 0.2


def test_observation_after_inject_row_is_first(owner_client, assistant):
    p = PromptFactory()
    AssistantPromptTrustMap.objects.create(assistant=assistant, prompt=p)  # as inject opens it
    r = observe(owner_client, assistant, p)
    assert r.json()["resonance_score"] == 0.9
    assert AssistantPromptTrustMap.objects.count() == 1


def test_trust_denials_and_bad_input(
    anon_client, owner_client, other_client, staff_client, assistant, other_assistant
):
    p = PromptFactory(author=other_assistant)
    assert observe(anon_client, assistant, p).status_code == 401
    r = observe(other_client, assistant, p)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    r = other_client.get(f"/api/v1/assistants/{assistant.id}/trust/")
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert anon_client.get(f"/api/v1/assistants/{assistant.id}/trust/").status_code == 401
    assert staff_client.get(f"/api/v1/assistants/{assistant.id}/trust/").status_code == 200
    assert owner_client.get("/api/v1/assistants/999999/trust/").status_code == 404
    private = PromptFactory(author=other_assistant, is_public=False)
    r = observe(owner_client, assistant, private)
    assert r.status_code == 400
    assert error_codes(r) == ["does_not_exist"]
    for bad in (
        {"resonance": 1.01},
        {"symbolic_compliance": -0.5},
        {"mutation_bias": "high"},
        {"resonance": None},
    ):
        r = observe(owner_client, assistant, p, **bad)
        assert r.status_code == 400, bad
    assert AssistantPromptTrustMap.objects.count() == 0


def test_matrix_filters_ordering_and_queries(owner_client, assistant):
    prompts = [PromptFactory() for _ in range(4)]
    for p, res in zip(prompts, (0.1, 0.4, 0.7, 0.95), strict=True):
        observe(owner_client, assistant, p, resonance=res, symbolic_compliance=1 - res)
    url = f"/api/v1/assistants/{assistant.id}/trust/"

    def res(q):
        r = owner_client.get(f"{url}?{q}")
        assert r.status_code == 200, r.content
        return [x["resonance_score"] for x in r.json()["results"]]

    assert res("ordering=resonance_score") == [0.1, 0.4, 0.7, 0.95]
    assert res("ordering=-symbolic_compliance") == [0.1, 0.4, 0.7, 0.95]
    assert res("min_resonance=0.4&max_resonance=0.8&ordering=-resonance_score") == [0.7, 0.4]
    assert res("max_compliance=0.1") == [0.95]
    assert res(f"prompt={prompts[1].id}") == [0.4]
    assert owner_client.get(f"{url}?min_resonance=abc").status_code == 400
    assert assert_list_queries_constant(owner_client, url) <= 5


def test_observation_costs_constant_queries(owner_client, assistant):
    p = PromptFactory()
    n1, _ = count_queries(lambda: observe(owner_client, assistant, p))
    for _ in range(5):
        observe(owner_client, assistant, PromptFactory())
    n2, _ = count_queries(lambda: observe(owner_client, assistant, p))
    assert n1 <= 12
    assert n2 <= n1
