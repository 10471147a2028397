import pytest

from tests.training.factories import make_chain


@pytest.fixture
def chain(assistant, other_assistant):
    """Seeded by ``assistant`` (owner_client), turns: assistant, other_assistant."""
    return make_chain(seed=assistant, involved=[assistant, other_assistant])


def step(client, chain_id, **body):
    payload = {
        "reflection_notes": "I saw the sea.",
        "memory_snapshot": {"mood": "calm"},
        "belief_delta": 0.25,
        **body,
    }
    return client.post(f"/api/v1/train/chains/{chain_id}/step/", payload, format="json")
