"""The purchases backfill: every purchase licence made before purchases were recorded gets its
Purchase (listing from its ledger entry, price paid, version licensed), and pending barter
offers get their curricula's state markers.

The suite runs without migrations, so the check migrates a fresh SQLite file of its own in a
subprocess (as tests/core/test_migrations.py does).
"""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("core", "0007_licence_version_required"),
    ("economy", "0005_licence_to_core"),
    ("mentorship", "0001_initial"),
]
AFTER = [("economy", "0006_purchases"), ("mentorship", "0002_barter_offer_state")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_purchases_are_backfilled(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'purchases.sqlite3'}",
    }
    code = (
        "import django; django.setup(); "
        "from tests.economy.test_purchase_migration import check; check()"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("purchases ok")


def check() -> None:
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Assistant = old.get_model("core", "Assistant")
    Prompt = old.get_model("core", "Prompt")
    Version = old.get_model("core", "PromptVersion")
    Licence = old.get_model("core", "PromptLicence")
    Listing = old.get_model("economy", "PromptTokenListing")
    Wallet = old.get_model("economy", "Wallet")
    Entry = old.get_model("economy", "LedgerEntry")
    Curriculum = old.get_model("mentorship", "PromptCurriculumVault")
    Offer = old.get_model("mentorship", "BarterOffer")
    seller = Assistant.objects.create(owner=User.objects.create(username="s"), name="s")
    buyer = Assistant.objects.create(owner=User.objects.create(username="b"), name="b")
    wallets = {
        a.pk: Wallet.objects.create(assistant=a, balance_cents=1000) for a in (seller, buyer)
    }
    paid, free = (
        Prompt.objects.create(author=seller, title=t, body=t, content_hash=t) for t in ("p", "f")
    )
    versions = {
        p.pk: Version.objects.create(
            prompt=p, number=1, title=p.title, body=p.body, content_hash=p.body, created_by=seller
        )
        for p in (paid, free)
    }
    # Bought from a listing since delisted; the prompt is listed again at another price.
    paid_listing = Listing.objects.create(prompt=paid, token_cost_cents=250, is_active=False)
    Listing.objects.create(prompt=paid, token_cost_cents=900)
    free_listing = Listing.objects.create(prompt=free, token_cost_cents=0)
    entry = Entry.objects.create(
        kind="prompt_purchase",
        payer=wallets[buyer.pk],
        payee=wallets[seller.pk],
        amount_cents=250,
        reference=f"listing:{paid_listing.pk}",
    )
    for p in (paid, free):
        Licence.objects.create(assistant=buyer, prompt=p, version=versions[p.pk], source="purchase")
    Licence.objects.create(
        assistant=seller, prompt=free, version=versions[free.pk], source="mentorship"
    )
    offered = Curriculum.objects.create(curator=buyer, curriculum_title="o", token_cost_cents=5)
    target = Curriculum.objects.create(curator=seller, curriculum_title="t")
    offer = Offer.objects.create(
        offerer=buyer, offered_curriculum=offered, target_curriculum=target
    )

    new = migrate(AFTER)
    Purchase = new.get_model("economy", "Purchase")
    rows = {
        p.prompt_id: (p.listing_id, p.price_cents, p.ledger_entry_id, p.version_id, p.state)
        for p in Purchase.objects.filter(buyer_id=buyer.pk, seller_id=seller.pk)
    }
    assert rows == {
        paid.pk: (paid_listing.pk, 250, entry.pk, versions[paid.pk].pk, "completed"),
        free.pk: (free_listing.pk, 0, None, versions[free.pk].pk, "completed"),
    }, rows
    assert Purchase.objects.count() == 2  # the mentorship licence is no purchase
    offer = new.get_model("mentorship", "BarterOffer").objects.get(pk=offer.pk)
    assert len(offer.offered_state) == len(offer.target_state) == 64

    from mentorship.models import BarterOffer, PromptCurriculumVault
    from mentorship.services import curriculum_state_marker

    live = BarterOffer.objects.get(pk=offer.pk)
    marker = curriculum_state_marker(PromptCurriculumVault.objects.get(pk=offered.pk))
    assert live.offered_state == marker
    print("purchases ok")
