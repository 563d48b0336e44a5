"""Bills, segments and lines check their keys per statement (``ratepayer.db.references``
says why), and drop the single-column indexes that a composite index starting
with the same column already serves (and those of the rarely set user keys)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ratepayer.db.references import StatementReferences


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0004_default_policy'),
        ('customers', '0004_reindex_folded_terms'),
        ('rates', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='bill',
            name='account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='bills', to='customers.account'),
        ),
        migrations.AlterField(
            model_name='bill',
            name='cancelled_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='bill',
            name='released_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='bill',
            name='run',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bills', to='billing.billrun'),
        ),
        migrations.AlterField(
            model_name='billline',
            name='segment',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='billing.billsegment'),
        ),
        migrations.AlterField(
            model_name='billsegment',
            name='agreement',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='bill_segments', to='customers.serviceagreement'),
        ),
        migrations.AlterField(
            model_name='billsegment',
            name='bill',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='segments', to='billing.bill'),
        ),
        migrations.AlterField(
            model_name='billsegment',
            name='rate_version',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rates.rateversion'),
        ),
        StatementReferences("billing_bill", {"account_id": "customers_account", "run_id": "billing_billrun"}),
        StatementReferences("billing_billsegment", {
            "bill_id": "billing_bill", "agreement_id": "customers_serviceagreement",
            "rate_version_id": "rates_rateversion"}),
        StatementReferences("billing_billline", {"segment_id": "billing_billsegment"}),
    ]
