"""A listing's adopters: an assistant counted once per listing (a purchase or an injection),
never the seller's own; and a purchase recorded with its buyer's adoption."""

from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from core.models import Assistant
from core.rows import RowInsert, saved_as

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


_PURCHASE = RowInsert(Purchase)
# PostgreSQL: the purchase row, the adoption and the listing's adopter count in one statement
# (the listing row is already locked). The buyer may have adopted the listing before (it
# injected the prompt under an earlier licence that was since refunded): then the adoption is
# kept as it is and the count does not move.
_PURCHASE_ADOPTED = (
    f"WITH p AS (INSERT INTO {_PURCHASE.table} ({_PURCHASE.columns}) "
    f"VALUES ({_PURCHASE.placeholders}) RETURNING id), "
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
    adoption: list[Any] = [
        purchase.listing_id,
        buyer.pk,
        ListingAdoption.Kind.PURCHASE,
        timezone.now(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _PURCHASE_ADOPTED, [*_PURCHASE.values(purchase), *adoption, purchase.listing_id]
        )
        row = cursor.fetchone()
    assert row is not None  # the purchase's INSERT returns its id
    saved_as(purchase, row[0])
