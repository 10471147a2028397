"""A GIN index behind the ``tag`` filter on PostgreSQL (``tags @> '["x"]'``).

SQLite has no GIN indexes (and filters tags with json_each), so this is PostgreSQL-only.
"""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS prompt_tags_gin ON core_prompt USING gin (tags jsonb_path_ops)"
DROP = "DROP INDEX IF EXISTS prompt_tags_gin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_list_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
