"""Wallets and the ledger: the grant an assistant opens with, staff grants, transfers."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.models import Assistant
from core.rows import saved_as
from core.services import assistant_create

from ..exceptions import (
    InsufficientFunds,
)
from ..models import (
    LedgerEntry,
    Wallet,
)
from ..money import to_cents


def grant_cents() -> int:
    return to_cents(str(settings.TOKEN_GRANT))


# References of grant entries: "assistant:<id>" for the automatic grant, "staff:<user id>" for a
# staff grant, so the per-user limit counts the automatic ones only.
AUTOMATIC_GRANT_PREFIX = "assistant:"


STAFF_GRANT_PREFIX = "staff:"


@transaction.atomic
def assistant_open(*, owner: User, name: str, description: str = "") -> Assistant:
    """An assistant comes with its wallet (``wallet_create_with_grant``), in one transaction."""
    assistant = assistant_create(owner=owner, name=name, description=description)
    wallet_create_with_grant(assistant=assistant)
    return assistant


@transaction.atomic
def wallet_create_with_grant(*, assistant: Assistant) -> Wallet:
    """Every assistant gets one wallet. The first GRANTED_ASSISTANTS_PER_USER assistants of a
    user receive TOKEN_GRANT through a ``grant`` entry; later ones start at 0.00, so creating
    assistants mints nothing.

    The owner's user row is locked first: two assistants created at once by one user queue
    here, and the second counts the first's grant (SQLite: the IMMEDIATE transaction does it).
    """
    list(User.objects.select_for_update().filter(pk=assistant.owner_id).values_list("pk"))
    granted = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.GRANT,
        payee__assistant__owner_id=assistant.owner_id,
        reference__startswith=AUTOMATIC_GRANT_PREFIX,
    ).count()
    amount = grant_cents() if granted < settings.GRANTED_ASSISTANTS_PER_USER else 0
    wallet = Wallet.objects.create(assistant=assistant, balance_cents=amount)
    if amount > 0:
        LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.GRANT,
            payer=None,
            payee=wallet,
            amount_cents=amount,
            reference=f"{AUTOMATIC_GRANT_PREFIX}{assistant.pk}",
        )
    return wallet


@transaction.atomic
def wallet_grant(*, wallet: Wallet, amount_cents: int, granted_by: User) -> LedgerEntry:
    """Staff mint ``amount_cents`` (> 0) into a wallet: a ``grant`` entry and the balance up by
    the same amount in one transaction, so Σ grants = Σ balances still holds."""
    if amount_cents <= 0:
        raise ValueError("amount must be > 0")
    Wallet.objects.filter(pk=wallet.pk).update(balance_cents=F("balance_cents") + amount_cents)
    return LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.GRANT,
        payer=None,
        payee=wallet,
        amount_cents=amount_cents,
        reference=f"{STAFF_GRANT_PREFIX}{granted_by.pk}",
    )


@dataclass
class Transfer:
    """What a transfer did, read inside its transaction: the entry (None when nothing moved)
    and both wallets' balances after it, as the debit and the credit returned them."""

    entry: LedgerEntry | None
    payer_balance_cents: int
    payee_balance_cents: int


def assistant_pay(
    *, payer: Assistant, payee_id: int, amount_cents: int, kind: str, reference: str
) -> Transfer:
    """``ledger_transfer`` between two assistants' wallets (both looked up in one query)."""
    wallets = dict(
        Wallet.objects.filter(assistant_id__in=[payer.pk, payee_id]).values_list(
            "assistant_id", "pk"
        )
    )
    return ledger_transfer(
        payer=wallets[payer.pk],
        payee=wallets[payee_id],
        amount_cents=amount_cents,
        kind=kind,
        reference=reference,
    )


def _wallet_add_returning(*, wallet_id: int, delta_cents: int) -> int | None:
    """Add ``delta_cents`` to one wallet unless that would make it negative, in one conditional
    UPDATE ... RETURNING (PostgreSQL and SQLite ≥ 3.35): the new balance, None when refused."""
    table = connection.ops.quote_name(Wallet._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance_cents = balance_cents + %s "
            "WHERE id = %s AND balance_cents + %s >= 0 RETURNING balance_cents",
            [delta_cents, wallet_id, delta_cents],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


# PostgreSQL: the whole transfer in one statement. ``locked`` takes both wallet rows in id
# order (the LockRows node sits above the sort); the debit runs only after it (its one-time
# filter reads ``locked``) and only when the payer can pay; the credit only after a debit; the
# entry only when both moved. Each UPDATE re-checks its row at its newest committed version.
_WALLET, _ENTRY = Wallet._meta.db_table, LedgerEntry._meta.db_table
_TRANSFER = (
    f"WITH locked AS MATERIALIZED (SELECT id FROM {_WALLET} WHERE id IN (%(payer)s, %(payee)s) "
    f"ORDER BY id FOR NO KEY UPDATE OF {_WALLET}), "
    f"debit AS (UPDATE {_WALLET} SET balance_cents = balance_cents - %(amount)s "
    "WHERE id = %(payer)s AND balance_cents >= %(amount)s "
    "AND (SELECT count(*) FROM locked) > 0 RETURNING balance_cents), "
    f"credit AS (UPDATE {_WALLET} SET balance_cents = balance_cents + %(amount)s "
    "WHERE id = %(payee)s AND EXISTS (SELECT 1 FROM debit) RETURNING balance_cents), "
    f"entry AS (INSERT INTO {_ENTRY} (kind, payer_id, payee_id, amount_cents, reference, "
    "created_at) SELECT %(kind)s, %(payer)s, %(payee)s, %(amount)s, %(reference)s, "
    "%(created_at)s FROM debit, credit RETURNING id) "
    "SELECT (SELECT balance_cents FROM debit), (SELECT balance_cents FROM credit), "
    "(SELECT id FROM entry)"
)


def _transfer_statement(
    *, payer_id: int, payee_id: int, amount_cents: int, kind: str, reference: str
) -> "Transfer":
    created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _TRANSFER,
            {
                "payer": payer_id,
                "payee": payee_id,
                "amount": amount_cents,
                "kind": kind,
                "reference": reference,
                "created_at": created_at,
            },
        )
        payer_balance, payee_balance, entry_id = cursor.fetchone()
    if payer_balance is None:
        raise InsufficientFunds()
    if entry_id is None:  # a credit cannot fail otherwise: the payee's wallet is gone
        raise Wallet.DoesNotExist(f"wallet {payee_id}")
    entry = LedgerEntry(
        kind=kind,
        payer_id=payer_id,
        payee_id=payee_id,
        amount_cents=amount_cents,
        reference=reference,
        created_at=created_at,
    )
    saved_as(entry, entry_id)
    return Transfer(
        entry=entry, payer_balance_cents=payer_balance, payee_balance_cents=payee_balance
    )


@transaction.atomic(savepoint=False)  # all or nothing with its caller: no savepoint needed
def ledger_transfer(
    *, payer: Wallet | int, payee: Wallet | int, amount_cents: int, kind: str, reference: str
) -> Transfer:
    """Move ``amount_cents`` from payer to payee and record it, all or nothing.

    The debit is one conditional UPDATE (``balance >= amount``), so two concurrent purchases can
    never both spend the same tokens: the loser updates no row and gets ``insufficient_funds``.
    Each UPDATE returns the balance it left, so the caller states it without a re-read.
    A zero amount records nothing (``entry`` None) and reads both balances.
    """
    payer_id = payer if isinstance(payer, int) else payer.pk
    payee_id = payee if isinstance(payee, int) else payee.pk
    if amount_cents < 0:
        raise ValueError("amount must be >= 0")
    if amount_cents == 0:
        balances = dict(
            Wallet.objects.filter(pk__in=[payer_id, payee_id]).values_list("pk", "balance_cents")
        )
        return Transfer(
            entry=None,
            payer_balance_cents=balances[payer_id],
            payee_balance_cents=balances[payee_id],
        )

    if connection.vendor == "postgresql" and payer_id != payee_id:
        return _transfer_statement(
            payer_id=payer_id,
            payee_id=payee_id,
            amount_cents=amount_cents,
            kind=kind,
            reference=reference,
        )

    def debit() -> int:
        balance = _wallet_add_returning(wallet_id=payer_id, delta_cents=-amount_cents)
        if balance is None:
            raise InsufficientFunds()
        return balance

    def credit() -> int:
        balance = _wallet_add_returning(wallet_id=payee_id, delta_cents=amount_cents)
        if balance is None:  # a credit cannot make a balance negative: the wallet is gone
            raise Wallet.DoesNotExist(f"wallet {payee_id}")
        return balance

    # Rows are locked in wallet-id order, so A→B and B→A at once queue instead of deadlocking.
    # A failed debit after the credit rolls the credit back with the transaction.
    if payer_id < payee_id:
        payer_balance = debit()
        payee_balance = credit()
    else:
        payee_balance = credit()
        payer_balance = debit()
    entry = LedgerEntry.objects.create(
        kind=kind,
        payer_id=payer_id,
        payee_id=payee_id,
        amount_cents=amount_cents,
        reference=reference,
    )
    return Transfer(
        entry=entry, payer_balance_cents=payer_balance, payee_balance_cents=payee_balance
    )
