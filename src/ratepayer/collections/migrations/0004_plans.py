"""Payment arrangements and long-term contracts (helper "plans"), and the posting rules
of the contracts' separate receivable (DOMAIN §B.2: Dr 143 at the start; installments
billed Dr 142 / Cr 143 for principal and Dr 142 / Cr 419 for interest)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

RULES = [
    # event, debit, credit, description
    ("contract_sewer_connection", "143", "271", "sewer connection charge financed by contract (CIAC)"),
    ("contract_conservation_loan", "143", "131", "conservation loan funded (RCW 54.16.280)"),
    ("contract_past_due", "143", "142", "past-due balance moved to a long-term contract"),
    ("contract_installment_principal", "142", "143", "contract installment billed: principal"),
    ("contract_installment_interest", "142", "419", "contract installment billed: interest"),
]


def seed_contract_rules(apps, schema_editor):
    GLAccount = apps.get_model("ledger", "GLAccount")
    PostingRule = apps.get_model("ledger", "PostingRule")
    accounts = {a.number: a for a in GLAccount.objects.filter(number__in={n for r in RULES for n in r[1:3]})}
    for event, debit, credit, description in RULES:
        if debit in accounts and credit in accounts:
            PostingRule.objects.get_or_create(event=event, service="", customer_class="", defaults={
                "debit_account": accounts[debit], "credit_account": accounts[credit], "description": description})


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_billing_policy_winter_months'),
        ('collections', '0001_initial'),
        ('customers', '0007_customer_language_choices_from_settings'),
        ('ledger', '0006_exact_cached_balances_on_sqlite'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LongTermContract',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('past_due', 'Past-due balance (long term)'), ('sewer_connection', 'Sewer connection charge (RCW 57.08.005(11))'), ('conservation_loan', 'Conservation loan (RCW 54.16.280)')], max_length=20)),
                ('status', models.CharField(choices=[('active', 'Active'), ('paid_off', 'Paid off'), ('cancelled', 'Cancelled')], default='active', max_length=10)),
                ('principal', models.DecimalField(decimal_places=2, max_digits=14)),
                ('annual_rate', models.DecimalField(decimal_places=4, help_text='percent per year, e.g. 5.2500', max_digits=7)),
                ('term_months', models.PositiveSmallIntegerField()),
                ('start_date', models.DateField(help_text="the first installment's due date; the rest fall on the same day monthly")),
                ('monthly_payment', models.DecimalField(decimal_places=2, help_text='the level payment', max_digits=14)),
                ('lien_reference', models.CharField(blank=True, help_text="county auditor's recording number (RCW 65.08.170)", max_length=60)),
                ('lien_recorded_on', models.DateField(blank=True, null=True)),
                ('revision', models.PositiveSmallIntegerField(default=1, help_text='raised when a prepayment redraws the schedule')),
                ('note', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('ended_on', models.DateField(blank=True, null=True)),
                ('account', models.ForeignKey(help_text='the account billed now (changes when the property changes hands)', on_delete=django.db.models.deletion.PROTECT, related_name='long_term_contracts', to='customers.account')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('premise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='long_term_contracts', to='customers.premise')),
                ('receivable_entry', models.ForeignKey(blank=True, help_text='the entry that booked the receivable', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry')),
            ],
            options={
                'ordering': ['-start_date', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ContractInstallment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('revision', models.PositiveSmallIntegerField(default=1)),
                ('number', models.PositiveSmallIntegerField()),
                ('due_date', models.DateField()),
                ('payment', models.DecimalField(decimal_places=2, max_digits=14)),
                ('principal', models.DecimalField(decimal_places=2, max_digits=14)),
                ('interest', models.DecimalField(decimal_places=2, max_digits=14)),
                ('balance_after', models.DecimalField(decimal_places=2, max_digits=14)),
                ('replaced', models.BooleanField(default=False)),
                ('billed_on', models.DateField(blank=True, null=True)),
                ('paid_amount', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ('paid_on', models.DateField(blank=True, null=True)),
                ('bill', models.ForeignKey(blank=True, help_text='the bill it was billed on', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.bill')),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='installments', to='collections.longtermcontract')),
            ],
            options={
                'ordering': ['contract', 'revision', 'number'],
            },
        ),
        migrations.CreateModel(
            name='ContractEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=20)),
                ('effective_date', models.DateField()),
                ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('detail', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('journal_entry', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry')),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='collections.longtermcontract')),
            ],
            options={
                'ordering': ['contract', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PaymentArrangement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('ordinary', 'Ordinary arrangement'), ('winter', 'Winter protection plan (RCW 54.16.285)'), ('heat', 'Heat-alert repayment plan (RCW 54.16.285(7))')], default='ordinary', max_length=10)),
                ('status', models.CharField(choices=[('proposed', 'Proposed'), ('active', 'Active'), ('kept', 'Kept (paid in full)'), ('broken', 'Broken'), ('cancelled', 'Cancelled')], default='proposed', max_length=10)),
                ('past_due_amount', models.DecimalField(decimal_places=2, help_text='the past-due balance the installments cover', max_digits=14)),
                ('down_payment', models.DecimalField(decimal_places=2, default=0, help_text='paid before the arrangement starts (policy)', max_digits=14)),
                ('current_bills_due', models.BooleanField(default=True, help_text='current bills stay due as they are issued')),
                ('start_date', models.DateField(help_text='the day it was made: payments from this day count toward it')),
                ('broken_after_days', models.PositiveSmallIntegerField(default=10, help_text='an installment unpaid this many days after its due date breaks the arrangement')),
                ('monthly_income', models.DecimalField(blank=True, decimal_places=2, help_text="winter/heat plans: the household's monthly income", max_digits=14, null=True)),
                ('required_ceiling', models.DecimalField(blank=True, decimal_places=2, help_text='winter/heat plans: the most a month may require; paying this much is not a default', max_digits=14, null=True)),
                ('pay_off_by', models.DateField(blank=True, help_text='winter: Oct 15; heat: May 15', null=True)),
                ('allows_another', models.BooleanField(default=False, help_text='a supervisor allowed it beside another active arrangement')),
                ('note', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('ended_on', models.DateField(blank=True, null=True)),
                ('end_reason', models.CharField(blank=True, max_length=300)),
                ('missed_due_date', models.DateField(blank=True, help_text='broken: the due date of the installment that was missed', null=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payment_arrangements', to='customers.account')),
                ('allowed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-start_date', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ArrangementInstallment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sequence', models.PositiveSmallIntegerField()),
                ('due_date', models.DateField()),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('paid_amount', models.DecimalField(decimal_places=2, default=0, help_text='payments applied to this installment (from the ledger)', max_digits=14)),
                ('paid_on', models.DateField(blank=True, help_text='the day it was paid in full', null=True)),
                ('arrangement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='installments', to='collections.paymentarrangement')),
            ],
            options={
                'ordering': ['arrangement', 'sequence'],
            },
        ),
        migrations.CreateModel(
            name='ArrangementEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, max_length=10)),
                ('to_status', models.CharField(max_length=10)),
                ('effective_date', models.DateField()),
                ('reason', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('arrangement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='collections.paymentarrangement')),
            ],
            options={
                'ordering': ['arrangement', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='longtermcontract',
            index=models.Index(fields=['account', 'status'], name='collections_account_898954_idx'),
        ),
        migrations.AddIndex(
            model_name='longtermcontract',
            index=models.Index(fields=['premise', 'status'], name='collections_premise_3225b4_idx'),
        ),
        migrations.AddConstraint(
            model_name='longtermcontract',
            constraint=models.CheckConstraint(condition=models.Q(('principal__gt', 0)), name='contract_principal_positive'),
        ),
        migrations.AddConstraint(
            model_name='longtermcontract',
            constraint=models.CheckConstraint(condition=models.Q(('annual_rate__gte', 0)), name='contract_rate_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='longtermcontract',
            constraint=models.CheckConstraint(condition=models.Q(('term_months__gt', 0)), name='contract_term_positive'),
        ),
        migrations.AddConstraint(
            model_name='longtermcontract',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'sewer_connection'), _negated=True), ('term_months__lte', 180), _connector='OR'), name='sewer_connection_contract_at_most_180_months'),
        ),
        migrations.AddConstraint(
            model_name='longtermcontract',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'conservation_loan'), _negated=True), ('term_months__lte', 240), _connector='OR'), name='conservation_loan_at_most_240_months'),
        ),
        migrations.AddIndex(
            model_name='contractinstallment',
            index=models.Index(fields=['due_date', 'billed_on'], name='collections_due_dat_ad6b42_idx'),
        ),
        migrations.AddConstraint(
            model_name='contractinstallment',
            constraint=models.UniqueConstraint(fields=('contract', 'revision', 'number'), name='one_contract_installment'),
        ),
        migrations.AddConstraint(
            model_name='contractinstallment',
            constraint=models.CheckConstraint(condition=models.Q(('principal__gte', 0), ('interest__gte', 0), ('payment__gte', 0)), name='contract_installment_not_negative'),
        ),
        migrations.AddIndex(
            model_name='paymentarrangement',
            index=models.Index(fields=['account', 'status'], name='collections_account_deba96_idx'),
        ),
        migrations.AddIndex(
            model_name='paymentarrangement',
            index=models.Index(fields=['status', 'start_date'], name='collections_status_934ac0_idx'),
        ),
        migrations.AddConstraint(
            model_name='paymentarrangement',
            constraint=models.CheckConstraint(condition=models.Q(('past_due_amount__gt', 0)), name='arrangement_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='paymentarrangement',
            constraint=models.CheckConstraint(condition=models.Q(('down_payment__gte', 0)), name='arrangement_down_payment_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='paymentarrangement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('allows_another', True), _negated=True), ('allowed_by__isnull', False), _connector='OR'), name='arrangement_second_allowed_by_someone'),
        ),
        migrations.AddIndex(
            model_name='arrangementinstallment',
            index=models.Index(fields=['due_date'], name='collections_due_dat_425a0b_idx'),
        ),
        migrations.AddConstraint(
            model_name='arrangementinstallment',
            constraint=models.UniqueConstraint(fields=('arrangement', 'sequence'), name='one_installment_per_sequence'),
        ),
        migrations.AddConstraint(
            model_name='arrangementinstallment',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='arrangement_installment_positive'),
        ),
        migrations.AddConstraint(
            model_name='arrangementinstallment',
            constraint=models.CheckConstraint(condition=models.Q(('paid_amount__gte', 0)), name='arrangement_paid_not_negative'),
        ),
        migrations.RunPython(seed_contract_rules, migrations.RunPython.noop),
    ]
