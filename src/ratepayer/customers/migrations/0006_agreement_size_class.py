"""An agreement's size class (Snohomish PUD Schedule 7 bills its daily base
charge by it), blank when the tariff does not ask.

Plain ``ALTER TABLE ... ADD COLUMN`` on both databases: for a NOT NULL column
Django would rebuild the agreement table on SQLite, which other tables'
statement-reference triggers name."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_customer_tax_id_digest'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE customers_serviceagreement ADD COLUMN size_class varchar(12) NOT NULL DEFAULT ''",
                    reverse_sql="ALTER TABLE customers_serviceagreement DROP COLUMN size_class"),
            ],
            state_operations=[
                migrations.AddField(
                    model_name='serviceagreement',
                    name='size_class',
                    field=models.CharField(blank=True, choices=[('small', 'Small (multi-family, small services)'), ('medium', 'Medium (single-family)'), ('large', 'Large'), ('extra_large', 'Extra-large')], help_text="the service's size class, for a tariff whose base charge depends on it", max_length=12),
                ),
            ],
        ),
    ]
