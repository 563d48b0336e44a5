"""The winter whose water use winter-average sewer is billed on, as policy
(December through March unless the board says otherwise).

Plain ``ALTER TABLE ... ADD COLUMN`` on both databases, as in 0007 (no table
rebuild on SQLite)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0007_interval_register_tolerance_and_quantity_source'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE billing_billingpolicy ADD COLUMN winter_first_month smallint NOT NULL DEFAULT 12 "
                    "CHECK (winter_first_month >= 0)",
                    reverse_sql="ALTER TABLE billing_billingpolicy DROP COLUMN winter_first_month"),
                migrations.RunSQL(
                    "ALTER TABLE billing_billingpolicy ADD COLUMN winter_last_month smallint NOT NULL DEFAULT 3 "
                    "CHECK (winter_last_month >= 0)",
                    reverse_sql="ALTER TABLE billing_billingpolicy DROP COLUMN winter_last_month"),
            ],
            state_operations=[
                migrations.AddField(
                    model_name='billingpolicy',
                    name='winter_first_month',
                    field=models.PositiveSmallIntegerField(default=12, help_text='winter-average sewer: the first month of the winter whose water use it is billed on'),
                ),
                migrations.AddField(
                    model_name='billingpolicy',
                    name='winter_last_month',
                    field=models.PositiveSmallIntegerField(default=3, help_text='winter-average sewer: the last month of that winter (may be before the first: Dec-Mar)'),
                ),
            ],
        ),
    ]
