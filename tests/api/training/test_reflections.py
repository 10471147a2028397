import pytest

from tests.conftest import assert_list_queries_constant
from tests.factories import AssistantFactory, PromptFactory
from training import services

from .conftest import step

pytestmark = pytest.mark.django_db


def url(chain_id):
    return f"/api/v1/train/chains/{chain_id}/reflections/"


def test_reflections_in_step_order_cursor_paginated(anon_client, owner_client, chain):
    for i in range(5):
        assert step(owner_client, chain.pk, belief_delta=i / 10).status_code == 201
    r = anon_client.get(url(chain.pk) + "?page_size=2")
    assert r.status_code == 200
    body = r.json()
    assert [x["step"] for x in body["results"]] == [0, 1]
    assert body["previous"] is None
    steps = [x["step"] for x in body["results"]]
    while body["next"]:
        body = anon_client.get(body["next"]).json()
        steps += [x["step"] for x in body["results"]]
    assert steps == [0, 1, 2, 3, 4]


def test_reflections_of_unknown_chain_is_404(anon_client):
    assert anon_client.get(url(999999)).status_code == 404
    assert anon_client.get(url("9" * 30)).status_code == 404


def test_bad_page_size_is_400(anon_client, chain):
    assert anon_client.get(url(chain.pk) + "?page_size=0").status_code == 400
    assert anon_client.get(url(chain.pk) + "?page_size=101").status_code == 400


def test_reflections_queries_constant(anon_client, owner_client, other_client, chain, assistant):
    parent = PromptFactory(author=assistant)
    for i in range(4):  # turns alternate: assistant (owner_client), other_assistant (other_client)
        client = owner_client if i % 2 == 0 else other_client
        r = step(client, chain.pk, mutation={"parent_prompt": parent.pk, "body": "m"})
        assert r.status_code == 201, r.content
    assert assert_list_queries_constant(anon_client, url(chain.pk)) <= 2


def test_a_private_mutation_does_not_leak_through_reflections(
    anon_client, owner_client, other_client, assistant, other_assistant
):
    from tests.training.factories import make_chain

    chain = make_chain(seed=assistant, involved=[assistant])
    private = PromptFactory(author=assistant, is_public=False)
    r = step(owner_client, chain.pk, mutation={"parent_prompt": private.pk, "body": "secret"})
    assert r.status_code == 201
    assert r.json()["reflection"]["mutation"]["parent_prompt"] == private.pk
    assert owner_client.get(url(chain.pk)).json()["results"][0]["mutation"] is not None
    assert anon_client.get(url(chain.pk)).json()["results"][0]["mutation"] is None
    assert other_client.get(url(chain.pk)).json()["results"][0]["mutation"] is None


def test_chain_step_mutation_counts_from_a_prompt_mutation(owner_client, chain, assistant):
    root = PromptFactory(author=AssistantFactory())
    ring = services.prompt_mutate(prompt=root, assistant=assistant, body="m1", belief_delta=0.2)
    r = step(
        owner_client, chain.pk, mutation={"parent_prompt": ring.mutated_prompt_id, "body": "m2"}
    )
    assert r.json()["reflection"]["mutation"]["mutation_step"] == 2
