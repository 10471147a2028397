"""The data migrations of versions and licences: existing rows reach the new shape.

The suite runs without migrations, so the check migrates a fresh SQLite file of its own in a
subprocess: back to before versions, rows written with the historical models, then forward.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0004_protect_sold_prompts"), ("economy", "0004_protect_sold_prompts")]
AFTER = [("core", "0007_licence_version_required"), ("economy", "0005_licence_to_core")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_prompts_get_version_1_and_licences_and_market_facts_follow(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'migrations.sqlite3'}",
    }
    code = "import django; django.setup(); from tests.core.test_migrations import check; check()"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("migrations ok")


def check() -> None:
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Assistant = old.get_model("core", "Assistant")
    Prompt = old.get_model("core", "Prompt")
    Listing = old.get_model("economy", "PromptTokenListing")
    Licence = old.get_model("economy", "PromptLicence")
    owner = User.objects.create(username="m-owner")
    buyer = Assistant.objects.create(owner=User.objects.create(username="m-buyer"), name="b")
    author = Assistant.objects.create(owner=owner, name="a")
    paid, free, plain = (
        Prompt.objects.create(
            author=author, title=t, body=f"{t} body", tags=["x"], content_hash=t * 8
        )
        for t in ("paid", "free", "plain")
    )
    Listing.objects.create(prompt=paid, token_cost_cents=100)
    Listing.objects.create(prompt=free, token_cost_cents=0)
    Listing.objects.create(prompt=plain, token_cost_cents=100, is_active=False)
    Licence.objects.create(assistant=buyer, prompt=paid)

    new = migrate(AFTER)
    Prompt = new.get_model("core", "Prompt")
    Version = new.get_model("core", "PromptVersion")
    Licence = new.get_model("core", "PromptLicence")
    facts = {
        p.title: (p.version, p.is_listed, p.is_for_sale)
        for p in Prompt.objects.filter(author_id=author.pk)
    }
    assert facts == {
        "paid": (1, True, True),
        "free": (1, True, False),
        "plain": (1, False, False),
    }
    v = Version.objects.get(prompt_id=paid.pk)
    assert (v.number, v.title, v.body, v.tags, v.content_hash, v.created_by_id) == (
        1,
        "paid",
        "paid body",
        ["x"],
        "paid" * 8,
        author.pk,
    )
    licence = Licence.objects.get(prompt_id=paid.pk)
    assert (licence.version_id, licence.state, licence.assistant_id) == (v.pk, "active", buyer.pk)
    print("migrations ok")
