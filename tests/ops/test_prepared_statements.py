"""PostgreSQL plans the hot statements once per connection: server-side binding with psycopg's
prepared statements (``DB_PREPARE_THRESHOLD``), off for poolers that cannot keep them."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from config.settings.environment import database_config
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory, UserFactory

URL = "postgres://postgres@127.0.0.1:5432/x"


def test_prepared_statements_are_on_by_default_after_five_runs(monkeypatch):
    monkeypatch.delenv("DB_PREPARE_THRESHOLD", raising=False)
    options = database_config(URL)["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5


@pytest.mark.parametrize("raw", ["off", "OFF", "none"])
def test_off_binds_on_the_client_and_prepares_nothing(monkeypatch, raw):
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", raw)
    options = database_config(URL)["OPTIONS"]
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_a_threshold_is_a_whole_number(monkeypatch):
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "0")
    assert database_config(URL)["OPTIONS"]["prepare_threshold"] == 0
    for bad in ("-1", "five", "1.5"):
        monkeypatch.setenv("DB_PREPARE_THRESHOLD", bad)
        with pytest.raises(ImproperlyConfigured, match="DB_PREPARE_THRESHOLD"):
            database_config(URL)


def test_sqlite_has_no_such_options(monkeypatch):
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "3")
    options = database_config("sqlite:///x.sqlite3")["OPTIONS"]
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


@pytest.mark.django_db(transaction=True)
def test_repeated_purchases_run_prepared_statements(client_for):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    if "prepare_threshold" not in connection.settings_dict["OPTIONS"]:
        pytest.skip("DB_PREPARE_THRESHOLD=off: nothing is prepared")
    seller = UserFactory()
    author = AssistantFactory(owner=seller)
    buyers = [AssistantFactory(owner=UserFactory()) for _ in range(7)]
    listing = ListingFactory(prompt=PromptFactory(author=author), token_cost_cents=100)
    for buyer in buyers:
        client = client_for(buyer.owner)
        r = client.post(
            f"/api/v1/market/prompts/{listing.pk}/buy/",
            data=json.dumps({"buyer": buyer.pk}),
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # The listing's locked read and the ledger transfer ran 7 times on this connection.
    assert any(
        "economy_prompttokenlisting" in sql and "FOR NO KEY UPDATE" in sql for sql in prepared
    )
    assert any("economy_ledgerentry" in sql for sql in prepared)
