from django.db import migrations
from django.db.models import Exists, OuterRef


def market_state_fill(apps, schema_editor):
    """The prompt's is_listed / is_for_sale from its active listing (kept by the services)."""
    Prompt = apps.get_model("core", "Prompt")
    Listing = apps.get_model("economy", "PromptTokenListing")
    active = Listing.objects.filter(prompt=OuterRef("pk"), is_active=True)
    Prompt.objects.filter(Exists(active)).update(is_listed=True)
    Prompt.objects.filter(Exists(active.filter(token_cost_cents__gt=0))).update(is_for_sale=True)


class Migration(migrations.Migration):
    """PromptLicence moves to core (its readers live there); the table and its rows stay."""

    dependencies = [
        ("core", "0005_prompt_versions"),
        ("economy", "0004_protect_sold_prompts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PromptLicence")],
            database_operations=[],
        ),
        migrations.RunPython(market_state_fill, migrations.RunPython.noop),
    ]
