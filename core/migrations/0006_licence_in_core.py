import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def licence_versions_fill(apps, schema_editor):
    """Existing licences were granted at the prompt's current version: its version 1."""
    PromptLicence = apps.get_model("core", "PromptLicence")
    PromptVersion = apps.get_model("core", "PromptVersion")
    newest = PromptVersion.objects.filter(prompt_id=OuterRef("prompt_id")).order_by("-number")
    PromptLicence.objects.update(version_id=Subquery(newest.values("pk")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_prompt_versions"),
        ("economy", "0005_licence_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PromptLicence",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("source", models.CharField(choices=[("purchase", "purchase"), ("mentorship", "mentorship"), ("curriculum", "curriculum"), ("grant", "grant")], default="purchase", max_length=16)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("assistant", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="licences", to="core.assistant")),
                        ("prompt", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="licences", to="core.prompt")),
                    ],
                    options={
                        "db_table": "economy_promptlicence",
                        "ordering": ["-id"],
                        "constraints": [models.UniqueConstraint(fields=("assistant", "prompt"), name="licence_unique_assistant_prompt")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="promptlicence",
            name="state",
            field=models.CharField(choices=[("active", "active"), ("refunded", "refunded")], default="active", max_length=16),
        ),
        migrations.AddField(
            model_name="promptlicence",
            name="version",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="licences", to="core.promptversion"),
        ),
        migrations.RunPython(licence_versions_fill, migrations.RunPython.noop),
    ]
