"""The chain row a step locks, read with everything the step needs in one statement, and the
step's writes (its reflection and the chain's new state)."""

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from core.compiled import compiled_rows
from core.exceptions import NotFound
from core.models import Assistant
from core.rows import RowInsert, db_values, saved_as

from .models import AssistantReflectionChain, ChainParticipant, SwarmTrainingChain

# [id, assistant_id, owner_id, position] of each participant of the outer chain row, in turn
# order (plain SQL: the ORM would rebuild the subquery on every step).
_PARTICIPANT_ROWS = RawSQL(
    "SELECT array_agg(ARRAY[p.id, p.assistant_id, a.owner_id, p.position] ORDER BY p.position) "
    f"FROM {ChainParticipant._meta.db_table} p JOIN {Assistant._meta.db_table} a "
    f"ON a.id = p.assistant_id WHERE p.chain_id = {SwarmTrainingChain._meta.db_table}.id",
    [],
)


_CHAIN_FIELDS = [f.attname for f in SwarmTrainingChain._meta.concrete_fields]
_SEED_FIELDS = [f.attname for f in Assistant._meta.concrete_fields]
_SEED_VALUES = [f"seed_assistant__{name}" for name in _SEED_FIELDS]


def _chain_lock_read(chain: int) -> QuerySet:
    """The chain row locked (``FOR NO KEY UPDATE OF`` the chain only), its seed assistant and its
    participants' rows, as one ``values()`` row (PostgreSQL)."""
    return (
        SwarmTrainingChain.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk=chain)
        .annotate(participant_rows=_PARTICIPANT_ROWS)
        .values(*_CHAIN_FIELDS, *_SEED_VALUES, "participant_rows")
    )


def chain_locked(chain_id: int) -> tuple[SwarmTrainingChain, list[ChainParticipant]]:
    """The chain row locked, with its seed assistant and its participants in turn order (each
    with its assistant); the chain's ``participants`` hold them as if prefetched. On PostgreSQL
    the participants come in the same statement (an array from a subquery), compiled once
    (``core.compiled``); other fields of their assistants than id and owner load on use."""
    if connection.vendor != "postgresql":
        chain = (
            SwarmTrainingChain.objects.select_for_update(of=("self",), no_key=True)
            .select_related("seed_assistant")
            .prefetch_related(
                Prefetch(
                    "participants",
                    queryset=ChainParticipant.objects.select_related("assistant").order_by(
                        "position"
                    ),
                )
            )
            .filter(pk=chain_id)
            .first()
        )
        if chain is None:
            raise NotFound("Not found.")
        return chain, list(chain.participants.all())
    rows = compiled_rows(shape="chain_step_lock", build=_chain_lock_read, ids={"chain": chain_id})
    if not rows:
        raise NotFound("Not found.")
    row, db = rows[0], connection.alias
    chain = SwarmTrainingChain.from_db(db, _CHAIN_FIELDS, [row[name] for name in _CHAIN_FIELDS])
    chain.seed_assistant = Assistant.from_db(db, _SEED_FIELDS, [row[n] for n in _SEED_VALUES])
    participants = []
    for pk, assistant_id, owner_id, position in row["participant_rows"] or []:
        participant = ChainParticipant(
            pk=pk, chain=chain, assistant_id=assistant_id, position=position
        )
        participant._state.adding = False
        participant.assistant = Assistant.from_db(db, ["id", "owner_id"], [assistant_id, owner_id])
        participants.append(participant)
    # As prefetch_related leaves it: the related manager answers from this list.
    prefetched = chain.participants.all()
    prefetched._result_cache = participants
    setattr(prefetched, "_prefetch_done", True)  # noqa: B010
    setattr(chain, "_prefetched_objects_cache", {"participants": prefetched})  # noqa: B010
    return chain, participants


# What a step changes on its chain.
STEP_FIELDS = ["belief_delta_tracker", "codex_tension", "current_step", "status", "updated_at"]
_REFLECTION = RowInsert(AssistantReflectionChain)
_UPDATED = [f for f in SwarmTrainingChain._meta.concrete_fields if f.name in STEP_FIELDS]
_SETS = ", ".join(f'"{f.column}" = %s' for f in _UPDATED)
# PostgreSQL: the reflection's INSERT and the chain's UPDATE in one statement (the chain row is
# already locked), the reflection's id returned by the UPDATE.
_STEP_WRITE = (
    f'WITH r AS (INSERT INTO "{_REFLECTION.table}" ({_REFLECTION.columns}) '
    f"VALUES ({_REFLECTION.placeholders}) RETURNING id) "
    f'UPDATE "{SwarmTrainingChain._meta.db_table}" '
    f"SET {_SETS} "
    "WHERE id = %s RETURNING (SELECT id FROM r)"
)


def step_write(*, chain: SwarmTrainingChain, reflection: AssistantReflectionChain) -> None:
    """Insert ``reflection`` and write ``chain``'s ``STEP_FIELDS``: on PostgreSQL in one
    statement, each value prepared by its model field as the ORM prepares it; elsewhere the
    ORM's INSERT and UPDATE."""
    if connection.vendor != "postgresql":
        reflection.save(force_insert=True)
        chain.save(update_fields=STEP_FIELDS)
        return
    params = [*_REFLECTION.values(reflection), *db_values(chain, _UPDATED, adding=False)]
    with connection.cursor() as cursor:
        cursor.execute(_STEP_WRITE, [*params, chain.pk])
        row = cursor.fetchone()
    if row is None:  # the chain row is locked by this transaction: it cannot be gone
        raise SwarmTrainingChain.DoesNotExist(f"chain {chain.pk}")
    saved_as(reflection, row[0])
