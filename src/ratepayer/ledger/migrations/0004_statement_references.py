"""Journal lines check their four keys per statement, and the write path loses unused indexes.

* ``entry``, ``gl_account``, ``account`` and ``agreement`` of a journal line
  are checked by ``ratepayer.db.references`` triggers instead of row-level
  foreign keys (that module says why and what is measured).
* Indexes nothing reads are dropped: the single-column indexes that a
  composite index starting with the same column already serves, the second
  index on ``agreement``, ``created_by``'s, and PostgreSQL's LIKE twins of
  ``event`` and ``idempotency_key`` (now a plain index and a unique constraint).
* On SQLite, altering a key rebuilds the table and drops its triggers, so the
  append-only triggers of 0002 are put back here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ratepayer.db.references import StatementReferences
from ratepayer.db.triggers import make_append_only

append_only_forwards, append_only_backwards = make_append_only("ledger_journalentry", "ledger_journalline")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0004_reindex_folded_terms'),
        ('ledger', '0003_set_based_balance_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='arbalance',
            name='ledger_arba_account_63ab0c_idx',
        ),
        migrations.RemoveIndex(
            model_name='journalline',
            name='ledger_jour_agreeme_d51001_idx',
        ),
        migrations.AlterField(
            model_name='journalentry',
            name='created_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='journalentry',
            name='event',
            field=models.CharField(max_length=40),
        ),
        migrations.AlterField(
            model_name='journalentry',
            name='idempotency_key',
            field=models.CharField(blank=True, max_length=120, null=True),
        ),
        migrations.AlterField(
            model_name='journalline',
            name='account',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='journal_lines', to='customers.account'),
        ),
        migrations.AlterField(
            model_name='journalline',
            name='agreement',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='journal_lines', to='customers.serviceagreement'),
        ),
        migrations.AlterField(
            model_name='journalline',
            name='entry',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='ledger.journalentry'),
        ),
        migrations.AlterField(
            model_name='journalline',
            name='gl_account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='ledger.glaccount'),
        ),
        migrations.AddIndex(
            model_name='journalentry',
            index=models.Index(fields=['event'], name='ledger_jour_event_4c2d82_idx'),
        ),
        migrations.AddConstraint(
            model_name='journalentry',
            constraint=models.UniqueConstraint(fields=('idempotency_key',), name='journal_entry_idempotency_key'),
        ),
        migrations.RunPython(append_only_forwards, migrations.RunPython.noop),
        StatementReferences("ledger_journalline", {
            "entry_id": "ledger_journalentry", "gl_account_id": "ledger_glaccount",
            "account_id": "customers_account", "agreement_id": "customers_serviceagreement"}),
    ]
