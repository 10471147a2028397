import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Separate from the fill: PostgreSQL refuses to alter a table with pending FK checks."""

    dependencies = [
        ("core", "0006_licence_in_core"),
    ]

    operations = [
        migrations.AlterField(
            model_name="promptlicence",
            name="version",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="licences", to="core.promptversion"),
        ),
    ]
