import pytest

from core.models import Prompt
from tests.conftest import assert_list_queries_constant, count_queries, error_codes
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.factories import AssistantFactory, PromptFactory
from training import services
from training.models import PromptMutationRing

pytestmark = pytest.mark.django_db


def mutate(client, prompt_id, **body):
    return client.post(f"/api/v1/prompts/{prompt_id}/mutate/", body, format="json")


def test_mutate_creates_prompt_and_ring(owner_client, assistant):
    parent = PromptFactory(author=AssistantFactory(), title="Sea", tags=["sea"])
    r = mutate(
        owner_client, parent.pk, assistant=assistant.pk, body="Sea, again.", belief_delta=0.4
    )
    assert r.status_code == 201, r.content
    body = r.json()
    ring = PromptMutationRing.objects.get()
    assert body == {
        "id": ring.pk,
        "parent_prompt": parent.pk,
        "parent_version": 1,
        "mutated_prompt": ring.mutated_prompt_id,
        "belief_delta": 0.4,
        "mutation_step": 1,
        "created_at": body["created_at"],
    }
    mutated = ring.mutated_prompt
    assert (mutated.author, mutated.title, mutated.body, mutated.tags) == (
        assistant,
        "Sea",
        "Sea, again.",
        ["sea"],
    )
    assert mutated.forked_from is None
    r = mutate(
        owner_client, mutated.pk, assistant=assistant.pk, body="3rd", title="T", belief_delta=-1
    )
    assert r.status_code == 201
    assert r.json()["mutation_step"] == 2
    assert Prompt.objects.get(pk=r.json()["mutated_prompt"]).title == "T"


def test_mutate_needs_auth(anon_client, assistant):
    parent = PromptFactory()
    r = mutate(anon_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    assert r.status_code == 401


def test_mutate_as_someone_elses_assistant_is_403(owner_client, other_assistant):
    parent = PromptFactory()
    r = mutate(owner_client, parent.pk, assistant=other_assistant.pk, body="x", belief_delta=0)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert not PromptMutationRing.objects.exists()


def test_mutate_a_prompt_for_sale_needs_a_licence(owner_client, assistant):
    parent = PromptFactory()
    ListingFactory(prompt=parent, token_cost_cents=100)
    prompts = Prompt.objects.count()
    r = mutate(owner_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    assert r.status_code == 403
    assert error_codes(r) == ["not_licensed"]
    assert Prompt.objects.count() == prompts
    LicenceFactory(assistant=assistant, prompt=parent, source="purchase")
    r = mutate(owner_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    assert r.status_code == 201


def test_mutate_a_private_prompt_of_another_is_404(owner_client, assistant):
    parent = PromptFactory(is_public=False)
    r = mutate(owner_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    assert r.status_code == 404
    assert (
        mutate(owner_client, 999999, assistant=assistant.pk, body="x", belief_delta=0).status_code
        == 404
    )


def test_mutating_your_private_prompt_stays_private(owner_client, assistant):
    parent = PromptFactory(author=assistant, is_public=False)
    r = mutate(owner_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    assert r.status_code == 201
    assert Prompt.objects.get(pk=r.json()["mutated_prompt"]).is_public is False


@pytest.mark.parametrize(
    ("patch", "attr", "code"),
    [
        ({"belief_delta": 1.5}, "belief_delta", "max_value"),
        ({"belief_delta": -1.01}, "belief_delta", "min_value"),
        ({"belief_delta": None}, "belief_delta", "null"),
        ({"body": "x" * 20_001}, "body", "max_length"),
        ({"body": ""}, "body", "blank"),
        ({"title": "t" * 151}, "title", "max_length"),
        ({"assistant": 999999}, "assistant", "does_not_exist"),
    ],
)
def test_mutate_bad_input(owner_client, assistant, patch, attr, code):
    parent = PromptFactory()
    body = {"assistant": assistant.pk, "body": "x", "belief_delta": 0.1, **patch}
    r = mutate(owner_client, parent.pk, **body)
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    assert not PromptMutationRing.objects.exists()


def test_mutate_costs_constant_queries(owner_client, assistant):
    parent = PromptFactory(author=assistant)
    n1, _ = count_queries(
        lambda: mutate(owner_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    )
    for _ in range(10):
        mutate(owner_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    n2, r = count_queries(
        lambda: mutate(owner_client, parent.pk, assistant=assistant.pk, body="x", belief_delta=0)
    )
    assert r.status_code == 201
    assert n1 == n2


def _rings(author):
    root = PromptFactory(author=author)
    r1 = services.prompt_mutate(prompt=root, assistant=author, body="a", belief_delta=-0.5)
    r2 = services.prompt_mutate(
        prompt=r1.mutated_prompt, assistant=author, body="b", belief_delta=0.2
    )
    r3 = services.prompt_mutate(prompt=root, assistant=author, body="c", belief_delta=0.9)
    return root, r1, r2, r3


def test_mutations_list_filters_and_ordering(anon_client, assistant):
    root, r1, r2, r3 = _rings(assistant)

    def ids(query=""):
        r = anon_client.get(f"/api/v1/mutations/?{query}")
        assert r.status_code == 200, r.content
        return [x["id"] for x in r.json()["results"]]

    assert ids() == [r3.pk, r2.pk, r1.pk]
    assert ids(f"parent={root.pk}") == [r3.pk, r1.pk]
    assert ids(f"mutated={r2.mutated_prompt_id}") == [r2.pk]
    assert ids("min_delta=0") == [r3.pk, r2.pk]
    assert ids("max_delta=0.5") == [r2.pk, r1.pk]
    assert ids("min_delta=-0.6&max_delta=0.3") == [r2.pk, r1.pk]
    assert ids("ordering=belief_delta") == [r1.pk, r2.pk, r3.pk]
    assert ids("ordering=-mutation_step,id") == [r2.pk, r1.pk, r3.pk]
    assert anon_client.get("/api/v1/mutations/?min_delta=abc").status_code == 400
    assert anon_client.get(f"/api/v1/mutations/?parent={'9' * 30}").status_code == 400
    r = anon_client.get(f"/api/v1/mutations/{r2.pk}/")
    assert r.status_code == 200
    assert r.json()["mutation_step"] == 2


def test_private_mutations_are_hidden(anon_client, owner_client, other_client, assistant):
    parent = PromptFactory(author=assistant, is_public=False)
    ring = services.prompt_mutate(prompt=parent, assistant=assistant, body="x", belief_delta=0)
    assert anon_client.get("/api/v1/mutations/").json()["count"] == 0
    assert other_client.get("/api/v1/mutations/").json()["count"] == 0
    assert other_client.get(f"/api/v1/mutations/{ring.pk}/").status_code == 404
    assert owner_client.get("/api/v1/mutations/").json()["count"] == 1


def test_mutations_list_queries_constant(anon_client, assistant):
    _rings(assistant)
    _rings(assistant)
    assert assert_list_queries_constant(anon_client, "/api/v1/mutations/") <= 2
