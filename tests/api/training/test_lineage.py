import pytest

from core import services as core_services
from tests.conftest import count_queries
from tests.factories import AssistantFactory, PromptFactory
from training import services

pytestmark = pytest.mark.django_db


def lineage(client, prompt_id):
    return client.get(f"/api/v1/prompts/{prompt_id}/lineage/")


def _chain_of(author, depth):
    """root, then alternately a fork and a mutation, ``depth`` links deep; returns all prompts."""
    prompts = [PromptFactory(author=author)]
    for i in range(depth):
        if i % 2:
            prompts.append(core_services.prompt_fork(prompt=prompts[-1], assistant=author))
        else:
            ring = services.prompt_mutate(
                prompt=prompts[-1], assistant=author, body=f"m{i}", belief_delta=0.1
            )
            prompts.append(ring.mutated_prompt)
    return prompts


def test_lineage_ancestors_to_the_root_and_direct_descendants(anon_client, assistant):
    root = PromptFactory(author=assistant, title="Root")
    ring1 = services.prompt_mutate(prompt=root, assistant=assistant, body="m1", belief_delta=-0.4)
    middle = ring1.mutated_prompt
    fork = core_services.prompt_fork(prompt=middle, assistant=assistant, title="Fork")
    ring2 = services.prompt_mutate(prompt=fork, assistant=assistant, body="m2", belief_delta=0.7)
    grandchild_fork = core_services.prompt_fork(prompt=fork, assistant=assistant)

    r = lineage(anon_client, fork.pk)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["prompt"] == {
        "id": fork.pk,
        "title": "Fork",
        "author": assistant.pk,
        "depth": 0,
        "relation": "fork",
        "parent": middle.pk,
        "belief_delta": None,
        "mutation_step": None,
    }
    assert [
        (n["id"], n["depth"], n["relation"], n["parent"], n["belief_delta"])
        for n in body["ancestors"]
    ] == [
        (middle.pk, 1, "mutation", root.pk, -0.4),
        (root.pk, 2, None, None, None),
    ]
    assert [
        (n["id"], n["relation"], n["belief_delta"], n["mutation_step"]) for n in body["descendants"]
    ] == [
        (ring2.mutated_prompt_id, "mutation", 0.7, 1),
        (grandchild_fork.pk, "fork", None, None),
    ]
    assert all(n["parent"] == fork.pk and n["depth"] == -1 for n in body["descendants"])


def test_lineage_of_a_root_has_no_ancestors(anon_client):
    prompt = PromptFactory()
    body = lineage(anon_client, prompt.pk).json()
    assert body["ancestors"] == []
    assert body["descendants"] == []
    assert body["prompt"]["relation"] is None


def test_lineage_of_a_private_prompt_is_404_to_others(
    anon_client, other_client, owner_client, assistant
):
    private = PromptFactory(author=assistant, is_public=False)
    assert lineage(anon_client, private.pk).status_code == 404
    assert lineage(other_client, private.pk).status_code == 404
    assert lineage(owner_client, private.pk).status_code == 200
    assert lineage(anon_client, 999999).status_code == 404
    assert lineage(anon_client, "9" * 30).status_code == 404


def test_private_prompts_do_not_leak_through_lineage(anon_client, owner_client, assistant):
    root = PromptFactory(author=assistant)
    hidden = PromptFactory(author=assistant, is_public=False, forked_from=root)
    ring = services.prompt_mutate(prompt=hidden, assistant=assistant, body="x", belief_delta=0.1)
    public_child = ring.mutated_prompt
    public_child.is_public = True
    public_child.save()
    secret_child = PromptFactory(author=assistant, is_public=False, forked_from=root)

    body = lineage(anon_client, public_child.pk).json()
    assert [(n["id"], n["depth"]) for n in body["ancestors"]] == [(root.pk, 2)]
    assert str(hidden.pk) not in {str(n["id"]) for n in body["ancestors"]}
    assert [n["id"] for n in lineage(anon_client, root.pk).json()["descendants"]] == []
    own = lineage(owner_client, root.pk).json()
    assert sorted(n["id"] for n in own["descendants"]) == sorted([hidden.pk, secret_child.pk])


def test_lineage_queries_do_not_grow_with_depth(anon_client, user):
    author = AssistantFactory(owner=user)
    shallow = _chain_of(author, 2)
    deep = _chain_of(author, 30)
    n_shallow, r_shallow = count_queries(lambda: lineage(anon_client, shallow[-1].pk))
    n_deep, r_deep = count_queries(lambda: lineage(anon_client, deep[-1].pk))
    assert len(r_shallow.json()["ancestors"]) == 2
    assert len(r_deep.json()["ancestors"]) == 30
    assert r_deep.json()["ancestors"][-1]["id"] == deep[0].pk
    assert n_shallow == n_deep
    assert n_deep <= 5
    mid = deep[15]
    n_mid, r_mid = count_queries(lambda: lineage(anon_client, mid.pk))
    assert n_mid == n_deep
    assert [n["id"] for n in r_mid.json()["descendants"]] == [deep[16].pk]
