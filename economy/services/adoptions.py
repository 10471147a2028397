"""A listing's adopters: an assistant counted once per listing (a purchase or an injection),
never the seller's own; and a purchase recorded with its buyer's adoption."""

from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from core.models import Assistant

from ..models import ListingAdoption, PromptTokenListing, Purchase

_ADOPTION_NEW = (
    f"INSERT INTO {ListingAdoption._meta.db_table} (listing_id, assistant_id, kind, created_at) "
    "VALUES (%s, %s, %s, %s) ON CONFLICT (listing_id, assistant_id) DO NOTHING RETURNING id"
)


def adoption_record(
    *, listing_id: int, seller_owner_id: int, assistant: Assistant, kind: str
) -> None:
    """Count ``assistant`` once among the listing's adopters (a second adoption of any kind
    changes nothing). The seller's own assistants never count. One conditional INSERT
    (PostgreSQL and SQLite ≥ 3.24), then the count only when it made a row."""
    if assistant.owner_id == seller_owner_id:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_ADOPTION_NEW, [listing_id, assistant.pk, kind, now])
        created = cursor.fetchone() is not None
    if created:
        PromptTokenListing.objects.filter(pk=listing_id).update(
            adopter_count=F("adopter_count") + 1
        )


_PURCHASE_COLUMNS = [f for f in Purchase._meta.concrete_fields if not f.primary_key]
# PostgreSQL: the purchase row, the adoption and the listing's adopter count in one statement
# (the listing row is already locked). The buyer may have adopted the listing before (it
# injected the prompt under an earlier licence that was since refunded): then the adoption is
# kept as it is and the count does not move.
_PURCHASE_ADOPTED = (
    f"WITH p AS (INSERT INTO {Purchase._meta.db_table} "
    f"({', '.join(f.column for f in _PURCHASE_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(_PURCHASE_COLUMNS))}) RETURNING id), "
    f"a AS (INSERT INTO {ListingAdoption._meta.db_table} "
    "(listing_id, assistant_id, kind, created_at) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (listing_id, assistant_id) DO NOTHING RETURNING id), "
    f"c AS (UPDATE {PromptTokenListing._meta.db_table} AS l "
    "SET adopter_count = l.adopter_count + 1 FROM a WHERE l.id = %s) "
    "SELECT id FROM p"
)


def purchase_record(*, purchase: Purchase, seller_owner_id: int, buyer: Assistant) -> None:
    """Insert ``purchase`` (unsaved) and count its buyer among the listing's adopters
    (``adoption_record``'s rule: once per listing): on PostgreSQL in one statement, each value
    prepared by its model field as the ORM prepares it; elsewhere the ORM's INSERT and
    ``adoption_record``."""
    if connection.vendor != "postgresql" or buyer.owner_id == seller_owner_id:
        purchase.save(force_insert=True)
        adoption_record(
            listing_id=purchase.listing_id,
            seller_owner_id=seller_owner_id,
            assistant=buyer,
            kind=ListingAdoption.Kind.PURCHASE,
        )
        return
    # As the ORM's INSERT: each field's pre_save, then its preparation for the database.
    values = [f.get_db_prep_save(f.pre_save(purchase, True), connection) for f in _PURCHASE_COLUMNS]
    adoption: list[Any] = [
        purchase.listing_id,
        buyer.pk,
        ListingAdoption.Kind.PURCHASE,
        timezone.now(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_PURCHASE_ADOPTED, [*values, *adoption, purchase.listing_id])
        row = cursor.fetchone()
    assert row is not None  # the purchase's INSERT returns its id
    purchase.pk = row[0]
    purchase._state.adding = False
    purchase._state.db = connection.alias
