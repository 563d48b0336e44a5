"""Bill line rates of up to 8 places, as tariffs quote them (Lake Stevens sewer
bills $0.11466666 per cubic foot).

On PostgreSQL the column's type changes in place. On SQLite the column is
declared ``decimal`` whatever its places, so only Django's model state changes:
letting Django rebuild the bill-line table there would drop the
statement-reference triggers of ``0005_statement_references``."""

from django.db import migrations, models


def widen_rate_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE billing_billline ALTER COLUMN rate TYPE numeric(16, 8)")


def narrow_rate_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE billing_billline ALTER COLUMN rate TYPE numeric(14, 6)")


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0005_statement_references'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(widen_rate_on_postgresql, narrow_rate_on_postgresql),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='billline',
                    name='rate',
                    field=models.DecimalField(decimal_places=8, help_text='up to 8 places, as tariffs quote them', max_digits=16),
                ),
            ],
        ),
    ]
