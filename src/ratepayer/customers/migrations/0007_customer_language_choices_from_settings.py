# The customer language choices come from settings.LANGUAGES (RATEPAYER_LANGUAGES): a callable, so a
# utility adding a language changes no migration. No database change (choices are not in the schema).

from django.db import migrations, models

import ratepayer.customers.models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_agreement_size_class'),
    ]

    operations = [
        migrations.AlterField(
            model_name='customer',
            name='language',
            field=models.CharField(choices=ratepayer.customers.models.language_choices, default='en', max_length=2),
        ),
    ]
