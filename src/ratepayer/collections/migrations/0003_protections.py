# Protections from disconnection: heat alerts per NWS zone, premise zones, medical certificates,
# disputes, winter-protection requests, registered landlords (collections.models.protections).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_billing_policy_winter_months'),
        ('collections', '0001_initial'),
        ('customers', '0007_customer_language_choices_from_settings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HeatAlertImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file_name', models.CharField(max_length=200)),
                ('sha256', models.CharField(max_length=64, unique=True)),
                ('rows', models.PositiveIntegerField(default=0)),
                ('created', models.PositiveIntegerField(default=0, help_text='alerts added (the rest were already recorded)')),
                ('imported_at', models.DateTimeField(auto_now_add=True)),
                ('imported_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-imported_at'],
            },
        ),
        migrations.CreateModel(
            name='PremiseZone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('zone', models.CharField(max_length=6)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('premise', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='nws_zone', to='customers.premise')),
                ('set_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Dispute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('open', 'Open'), ('closed', 'Closed')], default='open', max_length=8)),
                ('opened_on', models.DateField()),
                ('reason', models.CharField(max_length=300)),
                ('amount', models.DecimalField(blank=True, decimal_places=2, help_text='the amount disputed, when the customer names one', max_digits=14, null=True)),
                ('closed_on', models.DateField(blank=True, null=True)),
                ('resolution', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='customers.account')),
                ('bill', models.ForeignKey(blank=True, help_text="the bill disputed (blank: the account's charges in general)", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.bill')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-opened_on', '-id'],
                'indexes': [models.Index(fields=['account', 'status'], name='collections_account_ba5cfe_idx'), models.Index(fields=['bill', 'status'], name='collections_bill_id_53ba47_idx')],
            },
        ),
        migrations.CreateModel(
            name='HeatAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('zone', models.CharField(help_text='NWS zone, e.g. WAZ039 (or county code WAC033)', max_length=6)),
                ('day', models.DateField()),
                ('kind', models.CharField(choices=[('excessive_heat_warning', 'Excessive heat warning'), ('excessive_heat_watch', 'Excessive heat watch'), ('heat_advisory', 'Heat advisory'), ('extreme_heat_warning', 'Extreme heat warning'), ('extreme_heat_watch', 'Extreme heat watch'), ('other', 'Other heat-related alert')], max_length=24)),
                ('status', models.CharField(choices=[('active', 'In effect'), ('withdrawn', 'Withdrawn (entered in error)')], default='active', max_length=10)),
                ('source', models.CharField(choices=[('entered', 'Entered by staff'), ('imported', 'Imported from a file')], max_length=8)),
                ('note', models.CharField(blank=True, help_text='e.g. the NWS product or where it was read', max_length=200)),
                ('entered_at', models.DateTimeField(auto_now_add=True)),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                ('withdraw_reason', models.CharField(blank=True, max_length=200)),
                ('entered_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('withdrawn_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('import_file', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='collections.heatalertimport')),
            ],
            options={
                'ordering': ['-day', 'zone', 'kind'],
                'indexes': [models.Index(fields=['zone', 'day'], name='collections_zone_d79a89_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('zone', 'day', 'kind'), name='one_active_heat_alert_per_zone_day_kind')],
            },
        ),
        migrations.CreateModel(
            name='MedicalCertificate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('awaiting_written', 'Notified, written certificate due'), ('certified', 'Certified'), ('closed', 'Closed')], default='awaiting_written', max_length=16)),
                ('notified_on', models.DateField(help_text='the day the utility was told of the emergency')),
                ('notice', models.CharField(choices=[('verbal', 'Verbal'), ('written', 'Written')], max_length=8)),
                ('written_due_on', models.DateField(help_text='5 business days after the notice')),
                ('written_received_on', models.DateField(blank=True, null=True)),
                ('certifier_title', models.CharField(blank=True, choices=[('physician', 'Licensed physician'), ('nurse_practitioner', 'Nurse practitioner'), ('physician_assistant', 'Physician assistant')], max_length=20)),
                ('certifier_name', models.CharField(blank=True, max_length=120)),
                ('certifier_phone', models.CharField(blank=True, max_length=32)),
                ('effective_from', models.DateField()),
                ('expires_on', models.DateField()),
                ('delinquent_balance', models.DecimalField(decimal_places=2, help_text='the delinquent balance when the notice came', max_digits=14)),
                ('required_payment', models.DecimalField(decimal_places=2, help_text='10 % of the delinquent balance, rounded up to the cent', max_digits=14)),
                ('payment_due_on', models.DateField(help_text='the end of the grace period (same as written_due_on)')),
                ('remainder_agreed', models.BooleanField(default=False, help_text='agreed to pay the remainder within 120 days')),
                ('remainder_due_on', models.DateField(help_text='120 days after the notice')),
                ('closed_on', models.DateField(blank=True, null=True)),
                ('close_reason', models.CharField(blank=True, max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='medical_certificates', to='customers.account')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('premise', models.ForeignKey(help_text='the residence where the person with the condition lives', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.premise')),
            ],
            options={
                'ordering': ['-notified_on', '-id'],
                'indexes': [models.Index(fields=['account', 'status'], name='collections_account_948fbf_idx')],
            },
        ),
        migrations.CreateModel(
            name='RegisteredLandlord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('active', 'Registered'), ('ended', 'Registration ended')], default='active', max_length=8)),
                ('owner_name', models.CharField(max_length=200)),
                ('request_received_on', models.DateField(help_text="the day the owner's written request arrived")),
                ('mailing_line1', models.CharField(max_length=120)),
                ('mailing_line2', models.CharField(blank=True, max_length=120)),
                ('mailing_city', models.CharField(max_length=60)),
                ('mailing_state', models.CharField(default='WA', max_length=2)),
                ('mailing_zip', models.CharField(max_length=10)),
                ('phone', models.CharField(blank=True, max_length=32)),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('ended_on', models.DateField(blank=True, null=True)),
                ('end_reason', models.CharField(blank=True, max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('premise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.premise')),
            ],
            options={
                'ordering': ['-request_received_on', '-id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('premise',), name='one_registered_landlord_per_premise')],
            },
        ),
        migrations.CreateModel(
            name='WinterProtection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('open', 'Open'), ('closed', 'Closed')], default='open', max_length=8)),
                ('season_start', models.DateField(help_text='Nov 15 of the winter this request is for')),
                ('notified_on', models.DateField(help_text='the day the customer said they could not pay')),
                ('grantee', models.CharField(blank=True, help_text='the Commerce grantee (LIHEAP agency)', max_length=120)),
                ('annual_income_figure', models.DecimalField(blank=True, decimal_places=2, help_text="the grantee's dollar figure: 7 % of annual household income", max_digits=12, null=True)),
                ('eligibility_documented_on', models.DateField(blank=True, null=True)),
                ('heating_assistance_applied', models.BooleanField(default=False)),
                ('weatherization_applied', models.BooleanField(default=False)),
                ('weatherization_unavailable', models.BooleanField(default=False, help_text='no weatherization program is available')),
                ('plan_agreed_on', models.DateField(blank=True, null=True)),
                ('arrears_at_application', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('note', models.CharField(blank=True, max_length=300)),
                ('closed_on', models.DateField(blank=True, null=True)),
                ('close_reason', models.CharField(blank=True, choices=[('paid', 'Past-due balance paid'), ('defaulted', 'Plan not kept (paid less than the ceiling)'), ('moved', 'Moved out of the service area'), ('withdrawn', 'Withdrawn by the customer'), ('entered_in_error', 'Entered in error')], max_length=20)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='winter_protections', to='customers.account')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('premise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.premise')),
            ],
            options={
                'ordering': ['-season_start', '-id'],
                'indexes': [models.Index(fields=['account', 'status'], name='collections_account_2332db_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('account', 'season_start'), name='one_open_winter_protection_per_account_season')],
            },
        ),
    ]
