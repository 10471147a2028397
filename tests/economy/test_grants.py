"""SPEC 2 grants: a user's first GRANTED_ASSISTANTS_PER_USER assistants receive TOKEN_GRANT;
later ones start at 0.00; staff may grant more from the admin. Σ grants = Σ balances."""

import threading

import pytest
from django.db import connection
from django.db.models import Count, Q
from rest_framework.test import APIClient

from economy.models import LedgerEntry, Wallet
from economy.services import AUTOMATIC_GRANT_PREFIX, STAFF_GRANT_PREFIX
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, UserFactory


def assert_grants_per_user_within(limit: int) -> None:
    """No user holds more automatic grants than the setting; staff grants are apart."""
    per_user = (
        LedgerEntry.objects.filter(kind="grant", reference__startswith=AUTOMATIC_GRANT_PREFIX)
        .values("payee__assistant__owner")
        .annotate(n=Count("id"))
    )
    assert all(row["n"] <= limit for row in per_user), list(per_user)
    assert (
        not LedgerEntry.objects.filter(kind="grant")
        .exclude(
            Q(reference__startswith=AUTOMATIC_GRANT_PREFIX)
            | Q(reference__startswith=STAFF_GRANT_PREFIX)
        )
        .exists()
    )


def _create(client, name):
    r = client.post("/api/v1/assistants/", {"name": name}, format="json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def _balance(client, assistant_id):
    r = client.get(f"/api/v1/assistants/{assistant_id}/wallet/")
    assert r.status_code == 200, r.content
    return r.json()["balance"]


@pytest.mark.django_db
def test_only_the_first_assistant_of_a_user_is_granted(owner_client, other_client):
    ids = [_create(owner_client, f"a{i}") for i in range(3)]
    other = _create(other_client, "b")
    assert [_balance(owner_client, i) for i in ids] == ["100.00", "0.00", "0.00"]
    assert _balance(other_client, other) == "100.00"
    assert LedgerEntry.objects.filter(kind="grant").count() == 2
    assert not LedgerEntry.objects.filter(payee__assistant_id__in=ids[1:]).exists()
    assert_ledger_invariants()
    assert_grants_per_user_within(1)


@pytest.mark.django_db
def test_the_setting_names_how_many_assistants_are_granted(owner_client, settings):
    settings.GRANTED_ASSISTANTS_PER_USER = 2
    ids = [_create(owner_client, f"a{i}") for i in range(3)]
    assert [_balance(owner_client, i) for i in ids] == ["100.00", "100.00", "0.00"]
    assert_ledger_invariants()
    assert_grants_per_user_within(2)


@pytest.mark.django_db
def test_an_assistant_made_in_the_admin_follows_the_same_rule(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    owner = UserFactory()
    AssistantFactory(owner=owner)
    client.force_login(staff)
    r = client.post(
        "/admin/core/assistant/add/", {"owner": owner.pk, "name": "second", "description": ""}
    )
    assert r.status_code == 302, r.content
    second = owner.assistants.get(name="second")
    assert Wallet.objects.get(assistant=second).balance_cents == 0
    assert_ledger_invariants()
    assert_grants_per_user_within(1)


def _grant_action(client, wallet_ids):
    return client.post(
        "/admin/economy/wallet/",
        {"action": "grant_tokens", "_selected_action": [str(i) for i in wallet_ids]},
    )


@pytest.mark.django_db
def test_staff_grant_more_from_the_admin_through_a_grant_entry(client, user):
    AssistantFactory(owner=user)
    second = AssistantFactory(owner=user)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    r = _grant_action(client, [second.wallet.pk])
    assert r.status_code == 302, r.content
    assert Wallet.objects.get(assistant=second).balance_cents == 10000
    entry = LedgerEntry.objects.get(payee__assistant=second)
    assert (entry.kind, entry.amount_cents, entry.payer) == ("grant", 10000, None)
    assert entry.reference == f"{STAFF_GRANT_PREFIX}{staff.pk}"
    assert_ledger_invariants()
    assert_grants_per_user_within(1)


@pytest.mark.django_db
def test_staff_without_the_ledger_permission_cannot_grant(client, user):
    second = AssistantFactory(owner=user)
    staff = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_wallet"))
    client.force_login(staff)
    r = _grant_action(client, [second.wallet.pk])
    before = Wallet.objects.get(assistant=second).balance_cents
    assert r.status_code in (200, 302)
    assert Wallet.objects.get(assistant=second).balance_cents == before
    assert not LedgerEntry.objects.filter(reference__startswith=STAFF_GRANT_PREFIX).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_assistant_creations_by_one_user_grant_once():
    user = UserFactory()
    n = 6
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            client = APIClient()
            client.force_authenticate(user=user)
            barrier.wait(timeout=10)
            r = client.post("/api/v1/assistants/", {"name": f"a{i}"}, format="json")
            results[i] = r.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [201] * n
    assert LedgerEntry.objects.filter(kind="grant").count() == 1
    assert sorted(Wallet.objects.values_list("balance_cents", flat=True)) == [0] * (n - 1) + [10000]
    assert_ledger_invariants()
    assert_grants_per_user_within(1)
