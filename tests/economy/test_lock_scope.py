"""The hot writes lock only the rows they decide on: every ``FOR UPDATE`` they send names its
table (``FOR UPDATE OF ...``). A bare ``FOR UPDATE`` over a join also locks the joined rows
(the author's assistant), and a transaction holding the event-order lock that checks a foreign
key to that assistant at COMMIT then deadlocks with it (seen under the soak's mixed load)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.training.conftest import step
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.factories import PromptFactory
from tests.training.factories import make_chain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BARE_LOCK = re.compile(r"FOR UPDATE(?! OF )|FOR NO KEY UPDATE(?! OF )")


def _bare_locks(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if BARE_LOCK.search(q["sql"])]


def test_a_rating_locks_the_prompt_row_only(owner_client, assistant, other_assistant):
    prompt = PromptFactory(author=other_assistant, is_public=True)
    LicenceFactory(prompt=prompt, assistant=assistant)
    body = {"rater": assistant.pk, "ritual_effectiveness": 0.5, "assistant_approval": 0.5}
    with CaptureQueriesContext(connection) as captured:
        r = owner_client.post(f"/api/v1/prompts/{prompt.pk}/rate/", body, format="json")
    assert r.status_code == 201, r.content
    assert any("FOR NO KEY UPDATE OF" in q["sql"] for q in captured.captured_queries)
    assert _bare_locks(captured) == []


def test_a_purchase_locks_named_rows_only(owner_client, assistant, other_assistant):
    listing = ListingFactory(prompt=PromptFactory(author=other_assistant), token_cost_cents=100)
    with CaptureQueriesContext(connection) as captured:
        r = owner_client.post(
            f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": assistant.pk}, format="json"
        )
    assert r.status_code == 201, r.content
    assert _bare_locks(captured) == []


def test_a_chain_step_locks_named_rows_only(owner_client, assistant, other_assistant):
    chain = make_chain(seed=assistant, involved=[assistant, other_assistant])
    with CaptureQueriesContext(connection) as captured:
        r = step(owner_client, chain.pk)
    assert r.status_code == 201, r.content
    assert _bare_locks(captured) == []


def test_the_transfer_locks_both_wallets_in_id_order_first():
    """The fixed lock order by wallet id is what keeps A→B and B→A from deadlocking (a race
    shows it only sometimes, so the statement is pinned): the lock CTE orders by id, and the
    debit only runs after it."""
    from economy.services.wallets import _TRANSFER

    assert "ORDER BY id FOR NO KEY UPDATE OF economy_wallet" in _TRANSFER
    assert "(SELECT count(*) FROM locked) > 0" in _TRANSFER.split("debit AS", 1)[1]
