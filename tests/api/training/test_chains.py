import pytest

from tests.conftest import assert_list_queries_constant, error_codes
from tests.factories import AssistantFactory, PromptFactory
from tests.training.factories import make_chain
from training.models import ChainParticipant, SwarmTrainingChain

from .conftest import step

pytestmark = pytest.mark.django_db
URL = "/api/v1/train/chains/"


def create(client, **body):
    return client.post(URL, body, format="json")


def test_create_chain_stores_order_and_answers_the_state(owner_client, assistant, other_assistant):
    third = AssistantFactory()
    order = [third.pk, assistant.pk, other_assistant.pk]
    r = create(
        owner_client,
        chain_title="Dream relay",
        seed_assistant=assistant.pk,
        involved_assistants=order,
        max_steps=5,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["involved_assistants"] == order
    assert body["current_step"] == 0
    assert body["next_assistant"] == third.pk
    assert body["status"] == "active"
    assert body["codex_tension"] == 0.0
    assert body["belief_delta_tracker"] == {str(i): 0.0 for i in order}
    chain = SwarmTrainingChain.objects.get(pk=body["id"])
    assert chain.max_steps == 5
    assert chain.seed_assistant == assistant
    assert list(
        ChainParticipant.objects.filter(chain=chain)
        .order_by("position")
        .values_list("assistant_id", "position")
    ) == [(third.pk, 0), (assistant.pk, 1), (other_assistant.pk, 2)]


def test_derived_fields_cannot_be_set(owner_client, assistant):
    r = create(
        owner_client,
        chain_title="x",
        seed_assistant=assistant.pk,
        involved_assistants=[assistant.pk],
        current_step=7,
        status="completed",
        codex_tension=0.9,
        belief_delta_tracker={"1": 1},
    )
    assert r.status_code == 201
    chain = SwarmTrainingChain.objects.get()
    assert (chain.current_step, chain.status, chain.codex_tension) == (0, "active", 0.0)


def test_create_needs_auth(anon_client, assistant):
    r = create(
        anon_client,
        chain_title="x",
        seed_assistant=assistant.pk,
        involved_assistants=[assistant.pk],
    )
    assert r.status_code == 401
    assert not SwarmTrainingChain.objects.exists()


def test_create_with_someone_elses_seed_is_403(owner_client, other_assistant):
    r = create(
        owner_client,
        chain_title="x",
        seed_assistant=other_assistant.pk,
        involved_assistants=[other_assistant.pk],
    )
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert not SwarmTrainingChain.objects.exists()


def test_staff_may_seed_with_any_assistant(staff_client, assistant):
    r = create(
        staff_client,
        chain_title="x",
        seed_assistant=assistant.pk,
        involved_assistants=[assistant.pk],
    )
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("patch", "attr", "code"),
    [
        ({"involved_assistants": []}, "involved_assistants", "min_length"),
        ({"involved_assistants": "x"}, "involved_assistants", "not_a_list"),
        ({"involved_assistants": ["a"]}, "involved_assistants.0", "invalid"),
        ({"involved_assistants": [0]}, "involved_assistants.0", "min_value"),
        ({"involved_assistants": [10**30]}, "involved_assistants.0", "max_value"),
        ({"involved_assistants": [999999]}, "involved_assistants", "does_not_exist"),
        ({"max_steps": 0}, "max_steps", "min_value"),
        ({"max_steps": "many"}, "max_steps", "invalid"),
        ({"chain_title": ""}, "chain_title", "blank"),
        ({"chain_title": "t" * 151}, "chain_title", "max_length"),
        ({"seed_assistant": 999999}, "seed_assistant", "does_not_exist"),
    ],
)
def test_create_bad_input(owner_client, assistant, patch, attr, code):
    body = {
        "chain_title": "x",
        "seed_assistant": assistant.pk,
        "involved_assistants": [assistant.pk],
    }
    r = create(owner_client, **{**body, **patch})
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert not SwarmTrainingChain.objects.exists()


def test_duplicate_involved_assistants_is_400(owner_client, assistant):
    r = create(
        owner_client,
        chain_title="x",
        seed_assistant=assistant.pk,
        involved_assistants=[assistant.pk, assistant.pk],
    )
    assert r.status_code == 400
    assert error_codes(r) == ["duplicate"]
    assert not SwarmTrainingChain.objects.exists()


def test_more_than_50_involved_assistants_is_400(owner_client, assistant):
    r = create(
        owner_client,
        chain_title="x",
        seed_assistant=assistant.pk,
        involved_assistants=list(range(1, 52)),
    )
    assert r.status_code == 400
    assert error_codes(r) == ["max_length"]


def test_fifty_involved_assistants_is_fine(owner_client, assistant, user):
    others = [AssistantFactory(owner=user) for _ in range(49)]
    ids = [assistant.pk, *(a.pk for a in others)]
    r = create(owner_client, chain_title="x", seed_assistant=assistant.pk, involved_assistants=ids)
    assert r.status_code == 201
    assert r.json()["involved_assistants"] == ids


def test_list_and_detail_are_public(anon_client, chain):
    r = anon_client.get(URL)
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["results"]] == [chain.pk]
    r = anon_client.get(f"{URL}{chain.pk}/")
    assert r.status_code == 200
    assert r.json()["next_assistant"] == chain.seed_assistant_id


def test_detail_unknown_is_404(anon_client):
    assert anon_client.get(f"{URL}999999/").status_code == 404
    assert anon_client.get(f"{URL}{'9' * 40}/").status_code == 404


def test_list_filters(anon_client, assistant, other_assistant):
    third = AssistantFactory()
    c1 = make_chain(seed=assistant, involved=[assistant])
    c2 = make_chain(seed=other_assistant, involved=[other_assistant, third])
    c3 = make_chain(seed=assistant, involved=[third], max_steps=1)
    SwarmTrainingChain.objects.filter(pk=c3.pk).update(status="completed")

    def ids(query):
        r = anon_client.get(f"{URL}?{query}")
        assert r.status_code == 200, r.content
        return [c["id"] for c in r.json()["results"]]

    assert ids(f"seed_assistant={assistant.pk}") == [c3.pk, c1.pk]
    assert ids(f"involved_assistant={third.pk}") == [c3.pk, c2.pk]
    assert ids("status=completed") == [c3.pk]
    assert ids("status=active") == [c2.pk, c1.pk]
    assert ids("ordering=id") == [c1.pk, c2.pk, c3.pk]
    assert ids("search=relay") == [c3.pk, c2.pk, c1.pk]
    assert anon_client.get(f"{URL}?status=nope").status_code == 400
    assert anon_client.get(f"{URL}?involved_assistant={'9' * 30}").status_code == 400


def test_list_queries_constant(anon_client, user):
    for _ in range(4):
        a = AssistantFactory(owner=user)
        make_chain(seed=a, involved=[a, AssistantFactory()])
    assert assert_list_queries_constant(anon_client, URL) <= 3


def test_seed_owner_may_not_publish_a_mutation_as_another_users_assistant(
    owner_client, other_client, chain, assistant
):
    from core.models import Prompt
    from training.models import AssistantReflectionChain

    parent = PromptFactory(author=assistant)
    assert step(owner_client, chain.pk).status_code == 201  # turn 0: assistant, its own owner
    before = Prompt.objects.count()
    r = step(owner_client, chain.pk, mutation={"parent_prompt": parent.pk, "body": "as you"})
    assert r.status_code == 403  # turn 1 is other_assistant's
    assert error_codes(r) == ["not_your_assistant"]
    assert Prompt.objects.count() == before
    assert AssistantReflectionChain.objects.filter(chain=chain).count() == 1
    assert step(owner_client, chain.pk).status_code == 201  # without a mutation the seed may step
