"""The interval/register tolerance on the billing policy, and where a segment's
quantity came from (register reads or interval data).

Plain ``ALTER TABLE ... ADD COLUMN`` on both databases: Django would rebuild the
segment table on SQLite for a NOT NULL column, and a rebuild drops the
statement-reference triggers of ``0005_statement_references``."""

from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0006_bill_line_rate_eight_places'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE billing_billingpolicy ADD COLUMN interval_register_tolerance_percent "
                    "decimal(5, 2) NOT NULL DEFAULT 1.00",
                    reverse_sql=migrations.RunSQL.noop),
                migrations.RunSQL(
                    "ALTER TABLE billing_billsegment ADD COLUMN quantity_source varchar(8) NOT NULL DEFAULT ''",
                    reverse_sql=migrations.RunSQL.noop),
            ],
            state_operations=[
                migrations.AddField(
                    model_name='billingpolicy',
                    name='interval_register_tolerance_percent',
                    field=models.DecimalField(decimal_places=2, default=Decimal('1.00'), help_text="hold a bill when an interval meter's intervals over the period differ from its register's advance by more than this % of the advance", max_digits=5),
                ),
                migrations.AddField(
                    model_name='billsegment',
                    name='quantity_source',
                    field=models.CharField(blank=True, choices=[('register', 'register reads'), ('interval', 'interval data')], help_text='where the quantity billed came from (blank: unmetered)', max_length=8),
                ),
                migrations.AlterField(
                    model_name='billsegment',
                    name='quantity',
                    field=models.DecimalField(decimal_places=4, default=0, help_text="the quantity billed (for interval-rated meters, the intervals' total)", max_digits=14),
                ),
            ],
        ),
    ]
