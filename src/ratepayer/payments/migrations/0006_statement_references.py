"""Payments and their applications check their keys per statement (``ratepayer.db.references``
says why); indexes a composite one already serves, ``created_by``'s and the LIKE
twin of ``external_reference`` (now a unique constraint) are dropped."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ratepayer.db.references import StatementReferences


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0004_reindex_folded_terms'),
        ('ledger', '0004_statement_references'),
        ('payments', '0005_deposit_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='payment',
            name='account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='customers.account'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='batch',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='payments.paymentbatch'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='created_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='payment',
            name='external_reference',
            field=models.CharField(blank=True, help_text='lockbox item, ACH trace, card processor reference (unique)', max_length=120, null=True),
        ),
        migrations.AlterField(
            model_name='payment',
            name='journal_entry',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='payment', to='ledger.journalentry'),
        ),
        migrations.AlterField(
            model_name='paymentapplication',
            name='agreement',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='payment_applications', to='customers.serviceagreement'),
        ),
        migrations.AlterField(
            model_name='paymentapplication',
            name='payment',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='payments.payment'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.UniqueConstraint(fields=('external_reference',), name='payment_external_reference_unique'),
        ),
        StatementReferences("payments_payment", {
            "account_id": "customers_account", "batch_id": "payments_paymentbatch",
            "journal_entry_id": "ledger_journalentry"}),
        StatementReferences("payments_paymentapplication", {
            "payment_id": "payments_payment", "agreement_id": "customers_serviceagreement"}),
    ]
