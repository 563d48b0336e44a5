# Recovery.reversal_entry: a returned payment reverses the recovery it made (helper "writeoff").

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collections', '0006_merge_parts'),
        ('ledger', '0007_receivable_watermark'),
    ]

    operations = [
        migrations.AddField(
            model_name='recovery',
            name='reversal_entry',
            field=models.ForeignKey(blank=True, help_text='set when the payment came back (returned)', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry'),
        ),
    ]
