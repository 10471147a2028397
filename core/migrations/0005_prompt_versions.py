import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

BATCH = 2000


def versions_fill(apps, schema_editor):
    """Every existing prompt gets its version 1: its current text, by its author."""
    Prompt = apps.get_model("core", "Prompt")
    PromptVersion = apps.get_model("core", "PromptVersion")
    rows = []
    for p in Prompt.objects.order_by("pk").iterator(chunk_size=BATCH):
        rows.append(
            PromptVersion(
                prompt_id=p.pk,
                number=1,
                title=p.title,
                body=p.body,
                tags=p.tags,
                codex_clauses=p.codex_clauses,
                content_hash=p.content_hash,
                created_by_id=p.author_id,
                created_at=p.updated_at,
            )
        )
        if len(rows) >= BATCH:
            PromptVersion.objects.bulk_create(rows)
            rows = []
    PromptVersion.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_protect_sold_prompts"),
    ]

    operations = [
        migrations.AddField(
            model_name="prompt",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="prompt",
            name="is_listed",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="prompt",
            name="is_for_sale",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.CreateModel(
            name="PromptVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("title", models.CharField(max_length=150)),
                ("body", models.TextField()),
                ("tags", models.JSONField(blank=True, default=list)),
                ("codex_clauses", models.JSONField(blank=True, default=list)),
                ("content_hash", models.CharField(editable=False, max_length=64)),
                ("message", models.CharField(blank=True, default="", max_length=500)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("created_by", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="prompt_versions", to="core.assistant")),
                ("prompt", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="core.prompt")),
            ],
            options={
                "ordering": ["prompt", "-number"],
                "constraints": [models.UniqueConstraint(fields=("prompt", "number"), name="prompt_version_unique_number")],
            },
        ),
        migrations.RunPython(versions_fill, migrations.RunPython.noop),
    ]
