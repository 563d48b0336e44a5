# Final bills, agencies, write-offs and liens (helper "writeoff"): the tables, and the
# posting rules their actions use (DOMAIN §B.2; the utility edits them like any other rule).

from decimal import Decimal

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models

RULES = [
    # event, debit, credit, description
    ("write_off", "144", "142", "write-off of an uncollectible balance"),
    ("write_off_reinstate", "142", "144", "recovery on a written-off account: receivable reinstated from the allowance"),
    ("balance_transfer", "142", "142", "closed account's balance moved to the customer's active account"),
    ("agency_remittance", "131.1", "142", "collection agency remittance, net of its fee"),
    ("agency_fee", "903", "142", "collection agency's fee kept from what it collected"),
    ("lien_interest", "142", "419", "interest on a certified lien (RCW 57.08.081(3))"),
]


def seed_rules(apps, schema_editor):
    GLAccount = apps.get_model("ledger", "GLAccount")
    PostingRule = apps.get_model("ledger", "PostingRule")
    accounts = {a.number: a for a in GLAccount.objects.filter(number__in={n for r in RULES for n in r[1:3]})}
    for event, debit, credit, description in RULES:
        if debit in accounts and credit in accounts:
            PostingRule.objects.get_or_create(event=event, service="", customer_class="", defaults={
                "debit_account": accounts[debit], "credit_account": accounts[credit], "description": description})


class Migration(migrations.Migration):

    dependencies = [
        ('collections', '0001_initial'),
        ('customers', '0007_customer_language_choices_from_settings'),
        ('ledger', '0006_exact_cached_balances_on_sqlite'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AgencyFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120)),
                ('created_on', models.DateField()),
                ('item_count', models.PositiveIntegerField()),
                ('total', models.DecimalField(decimal_places=2, max_digits=14)),
                ('sha256', models.CharField(max_length=64, unique=True)),
                ('content', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AgencyAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount_assigned', models.DecimalField(decimal_places=2, max_digits=14)),
                ('advised_on', models.DateField(help_text='the date the debtor was advised the debt may be assigned')),
                ('assigned_on', models.DateField()),
                ('fee_limit', models.DecimalField(decimal_places=2, help_text='the most the agency may be paid on this account (RCW 19.16.500)', max_digits=14)),
                ('collected', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ('fees', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ('status', models.CharField(choices=[('assigned', 'At the agency'), ('paid', 'Paid in full'), ('recalled', 'Recalled'), ('returned', 'Returned uncollectible')], default='assigned', max_length=10)),
                ('closed_on', models.DateField(blank=True, null=True)),
                ('close_reason', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='agency_assignments', to='customers.account')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('file', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='collections.agencyfile')),
            ],
            options={
                'ordering': ['-assigned_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AgencyRemittance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reference', models.CharField(help_text="the agency's remittance reference", max_length=60)),
                ('received_on', models.DateField()),
                ('gross', models.DecimalField(decimal_places=2, max_digits=14)),
                ('fee', models.DecimalField(decimal_places=2, max_digits=14)),
                ('net', models.DecimalField(decimal_places=2, max_digits=14)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='remittances', to='collections.agencyassignment')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('journal_entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry')),
            ],
            options={
                'ordering': ['-received_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='BalanceTransfer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('transferred_on', models.DateField()),
                ('reason', models.CharField(max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('from_account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balance_transfers_out', to='customers.account')),
                ('journal_entry', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='balance_transfer', to='ledger.journalentry')),
                ('to_account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balance_transfers_in', to='customers.account')),
                ('to_agreement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.serviceagreement')),
            ],
            options={
                'ordering': ['-transferred_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CollectionAgency',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=12, unique=True)),
                ('name', models.CharField(max_length=120)),
                ('license_number', models.CharField(blank=True, help_text='Washington collection agency license', max_length=40)),
                ('contact', models.CharField(blank=True, max_length=200)),
                ('fee_percent', models.DecimalField(decimal_places=2, help_text='contingent fee, percent of what is collected (≤ 50 % to $100,000)', max_digits=5)),
                ('fee_percent_above', models.DecimalField(decimal_places=2, default=Decimal('35.00'), help_text='percent on collections above $100,000 per account (≤ 35 %)', max_digits=5)),
                ('is_active', models.BooleanField(default=True)),
            ],
            options={
                'verbose_name_plural': 'collection agencies',
                'ordering': ['name'],
                'constraints': [models.CheckConstraint(condition=models.Q(('fee_percent__gte', 0), ('fee_percent__lte', Decimal('50.00'))), name='agency_fee_within_rcw_19_16_500'), models.CheckConstraint(condition=models.Q(('fee_percent_above__gte', 0), ('fee_percent_above__lte', Decimal('35.00'))), name='agency_fee_above_within_rcw_19_16_500')],
            },
        ),
        migrations.AddField(
            model_name='agencyfile',
            name='agency',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='files', to='collections.collectionagency'),
        ),
        migrations.AddField(
            model_name='agencyassignment',
            name='agency',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='collections.collectionagency'),
        ),
        migrations.CreateModel(
            name='LienCertification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('parcel_number', models.CharField(max_length=20)),
                ('tenant_delinquency', models.BooleanField(default=False, help_text='the delinquent customer is a tenant, not the owner')),
                ('charges', models.DecimalField(decimal_places=2, max_digits=14)),
                ('penalties', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ('delinquent_since', models.DateField()),
                ('prime_rate', models.DecimalField(decimal_places=2, help_text="the district bank's prime rate, %/yr", max_digits=5)),
                ('interest_rate', models.DecimalField(decimal_places=2, help_text='%/yr, ≤ prime + 4', max_digits=5)),
                ('interest', models.DecimalField(decimal_places=2, default=0, help_text='simple interest from delinquency to certification', max_digits=14)),
                ('certified_on', models.DateField()),
                ('auditor_reference', models.CharField(blank=True, help_text="county auditor's recording number", max_length=40)),
                ('status', models.CharField(choices=[('certified', 'Certified'), ('released', 'Released')], default='certified', max_length=10)),
                ('released_on', models.DateField(blank=True, null=True)),
                ('release_reason', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='liens', to='customers.account')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('interest_entry', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry')),
                ('premise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='liens', to='customers.premise')),
            ],
            options={
                'ordering': ['-certified_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='WriteOff',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('reason', models.CharField(choices=[('uncollectible', 'Uncollectible after collection efforts'), ('agency_returned', 'Returned by the collection agency'), ('small_balance', 'Small balance, not worth collecting'), ('bankruptcy', 'Discharged in bankruptcy'), ('deceased', 'Customer deceased, no estate'), ('time_barred', 'Past the statute of limitations')], max_length=20)),
                ('memo', models.CharField(max_length=300)),
                ('effective_date', models.DateField()),
                ('status', models.CharField(choices=[('pending', 'Waiting for approval'), ('posted', 'Written off'), ('rejected', 'Rejected'), ('cancelled', 'Withdrawn')], default='pending', max_length=10)),
                ('requested_at', models.DateTimeField(auto_now_add=True)),
                ('approval_request_id', models.BigIntegerField(blank=True, null=True)),
                ('recovered', models.DecimalField(decimal_places=2, default=0, help_text='sum of later payments credited back to the allowance (Cr 144)', max_digits=14)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='write_offs', to='customers.account')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('journal_entry', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='write_off', to='ledger.journalentry')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Recovery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('received_on', models.DateField()),
                ('payment_id', models.BigIntegerField(blank=True, help_text='payments.Payment that brought the money', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.account')),
                ('agreement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.serviceagreement')),
                ('journal_entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry')),
                ('remittance', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='recoveries', to='collections.agencyremittance')),
                ('write_off', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='recoveries', to='collections.writeoff')),
            ],
            options={
                'verbose_name_plural': 'recoveries',
                'ordering': ['-received_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='WriteOffLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('agreement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.serviceagreement')),
                ('write_off', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='collections.writeoff')),
            ],
            options={
                'ordering': ['write_off', 'agreement'],
            },
        ),
        migrations.AddConstraint(
            model_name='agencyremittance',
            constraint=models.UniqueConstraint(fields=('assignment', 'reference'), name='one_remittance_per_reference'),
        ),
        migrations.AddConstraint(
            model_name='agencyremittance',
            constraint=models.CheckConstraint(condition=models.Q(('gross__gt', 0), ('fee__gte', 0), ('net', django.db.models.expressions.CombinedExpression(models.F('gross'), '-', models.F('fee')))), name='remittance_net_is_gross_less_fee'),
        ),
        migrations.AddConstraint(
            model_name='balancetransfer',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='balance_transfer_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='balancetransfer',
            constraint=models.CheckConstraint(condition=models.Q(('from_account', models.F('to_account')), _negated=True), name='balance_transfer_between_two_accounts'),
        ),
        migrations.AddConstraint(
            model_name='agencyassignment',
            constraint=models.CheckConstraint(condition=models.Q(('amount_assigned__gt', 0)), name='agency_assignment_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='agencyassignment',
            constraint=models.CheckConstraint(condition=models.Q(('fees__lte', models.F('fee_limit'))), name='agency_fees_within_limit'),
        ),
        migrations.AddConstraint(
            model_name='agencyassignment',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'assigned')), fields=('account',), name='one_open_agency_assignment_per_account'),
        ),
        migrations.AddConstraint(
            model_name='liencertification',
            constraint=models.CheckConstraint(condition=models.Q(('charges__gt', 0), ('penalties__gte', 0), ('interest__gte', 0)), name='lien_amounts_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='liencertification',
            constraint=models.CheckConstraint(condition=models.Q(('interest_rate__lte', django.db.models.expressions.CombinedExpression(models.F('prime_rate'), '+', models.Value(Decimal('4.00'))))), name='lien_interest_within_prime_plus_four'),
        ),
        migrations.AddConstraint(
            model_name='liencertification',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'certified')), fields=('premise', 'account'), name='one_certified_lien_per_premise_account'),
        ),
        migrations.AddConstraint(
            model_name='writeoff',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='write_off_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='writeoff',
            constraint=models.CheckConstraint(condition=models.Q(('recovered__gte', 0), ('recovered__lte', models.F('amount'))), name='write_off_recovered_within_amount'),
        ),
        migrations.AddConstraint(
            model_name='writeoff',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'posted'), _negated=True), ('journal_entry__isnull', False), _connector='OR'), name='posted_write_off_has_entry'),
        ),
        migrations.AddConstraint(
            model_name='writeoff',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('account',), name='one_pending_write_off_per_account'),
        ),
        migrations.AddConstraint(
            model_name='recovery',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='recovery_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='writeoffline',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='write_off_line_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='writeoffline',
            constraint=models.UniqueConstraint(fields=('write_off', 'agreement'), name='one_write_off_line_per_agreement'),
        ),
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
    ]
