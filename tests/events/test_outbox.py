"""The outbox (SPEC 8): every change of the catalogue writes exactly one event of its type in
its own transaction, addressed to the users who care; a change that rolls back leaves none."""

from unittest import mock

import pytest
from django.db import connection, transaction

from core.events import CATALOGUE, event_data_validate, event_emit
from core.models import Event, EventRecipient, PromptLicence
from tests.conftest import count_queries
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.events.outbox_helpers import only_event, post
from tests.factories import AssistantFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- the outbox itself --------------------------------------------------------------------------


def test_an_error_later_in_the_same_transaction_takes_the_event_with_it(assistant):
    def change_that_fails() -> None:
        with transaction.atomic():
            event_emit(
                type="chain.completed",
                data={"chain": 1, "steps": 2},
                recipients=[assistant.owner_id],
            )
            raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not Event.objects.exists()
    assert not EventRecipient.objects.exists()


def test_a_service_failing_after_emitting_leaves_no_event(other_client, assistant, other_assistant):
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
    Event.objects.all().delete()  # the listing's own listing.created
    with (
        mock.patch("economy.services.purchases.Sale", side_effect=RuntimeError("after the event")),
        pytest.raises(RuntimeError),
    ):
        post(
            other_client, f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}
        )
    assert not Event.objects.exists()
    assert not PromptLicence.objects.exists()


def test_emit_costs_one_query_on_postgresql_three_on_sqlite_and_dedups_recipients(assistant):
    user = UserFactory()
    n, _ = count_queries(
        lambda: event_emit(
            type="chain.completed",
            data={"chain": 1, "steps": 2},
            recipients=[user.pk, assistant.owner_id, user.pk, None],
        )
    )
    # PostgreSQL: event, recipients and the endpoints' SELECT in one statement; SQLite: three.
    assert n == (1 if connection.vendor == "postgresql" else 3)
    assert sorted(EventRecipient.objects.values_list("user_id", flat=True)) == sorted(
        [user.pk, assistant.owner_id]
    )


def test_listeners_hear_only_committed_events(django_capture_on_commit_callbacks, assistant):
    heard: list[int] = []
    from core.events import event_listener_add, event_listener_remove

    event_listener_add(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = event_emit(
                type="chain.completed",
                data={"chain": 1, "steps": 1},
                recipients=[assistant.owner_id],
            )
        assert heard == [event.pk]

        def change_that_fails() -> None:
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                event_emit(type="chain.completed", data={"chain": 1, "steps": 1}, recipients=[])
                raise RuntimeError

        with pytest.raises(RuntimeError):
            change_that_fails()
        assert heard == [event.pk]
    finally:
        event_listener_remove(heard.append)


@pytest.mark.parametrize(
    ("type_", "data", "message"),
    [
        ("no.such", {}, "Unknown event type"),
        ("chain.completed", {"chain": 1}, "data keys"),
        ("chain.completed", {"chain": 1, "steps": 2, "body": "x"}, "data keys"),
        ("chain.completed", {"chain": "1", "steps": 2}, "is not a id"),
        ("chain.completed", {"chain": True, "steps": 2}, "is not a id"),
        ("listing.created", {"listing": 1, "prompt": 1, "seller": 1, "price": 1.5}, "money"),
        ("prompt.forked", {"prompt": 1, "fork": None, "assistant": None}, "is not a id"),
    ],
)
def test_data_off_the_catalogue_is_refused(type_, data, message):
    with pytest.raises(ValueError, match=message):
        event_data_validate(type=type_, data=data)
    with pytest.raises(ValueError, match=message):
        event_emit(type=type_, data=data, recipients=[])
    assert not Event.objects.exists()


def test_the_catalogue_has_every_spec_type():
    spec_types = {
        "purchase.completed", "purchase.refunded", "listing.created", "listing.delisted",
        "listing.price_changed", "prompt.version_created", "prompt.label_moved", "prompt.rated",
        "prompt.forked", "prompt.mutated", "mentorship.adopted", "mentorship.feedback",
        "curriculum.bought", "curriculum.cloned", "barter.offered", "barter.accepted",
        "barter.declined", "barter.cancelled", "chain.stepped", "chain.turn", "chain.completed",
        "webhook.disabled", "webhook.test",
    }  # fmt: skip
    assert set(CATALOGUE) == spec_types
    for spec in CATALOGUE.values():
        assert "body" not in spec.fields


# --- versions and labels ----------------------------------------------------------------------


def test_prompt_version_created_reaches_the_author_and_licence_holders(
    owner_client, assistant, other_assistant
):
    prompt = PromptFactory(author=assistant)
    LicenceFactory(assistant=other_assistant, prompt=prompt)
    bystander = AssistantFactory()
    r = owner_client.patch(f"/api/v1/prompts/{prompt.pk}/", {"body": "new words"}, format="json")
    assert r.status_code == 200, r.content
    event, users = only_event("prompt.version_created")
    prompt.refresh_from_db()
    assert event.data == {
        "prompt": prompt.pk,
        "version": 2,
        "author": assistant.pk,
        "content_hash": prompt.content_hash,
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}
    assert bystander.owner_id not in users
    assert "body" not in event.data


def test_a_metadata_edit_makes_no_version_event(owner_client, assistant):
    prompt = PromptFactory(author=assistant)
    r = owner_client.patch(f"/api/v1/prompts/{prompt.pk}/", {"is_public": False}, format="json")
    assert r.status_code == 200, r.content
    assert not Event.objects.filter(type="prompt.version_created").exists()


def test_prompt_label_moved_and_removed(owner_client, assistant, other_assistant):
    prompt = PromptFactory(author=assistant)
    LicenceFactory(assistant=other_assistant, prompt=prompt)
    url = f"/api/v1/prompts/{prompt.pk}/labels/live/"
    r = owner_client.put(url, {"version": 1}, format="json")
    assert r.status_code in (200, 201), r.content
    event, users = only_event("prompt.label_moved")
    assert event.data == {
        "prompt": prompt.pk,
        "label": "live",
        "version": 1,
        "author": assistant.pk,
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}
    assert owner_client.delete(url).status_code == 204
    removed = Event.objects.filter(type="prompt.label_moved").order_by("-id").first()
    assert removed.data["version"] is None


def test_a_label_on_an_unknown_version_leaves_no_event(owner_client, assistant):
    prompt = PromptFactory(author=assistant)
    r = owner_client.put(f"/api/v1/prompts/{prompt.pk}/labels/live/", {"version": 9}, format="json")
    assert r.status_code == 400
    assert not Event.objects.filter(type="prompt.label_moved").exists()
