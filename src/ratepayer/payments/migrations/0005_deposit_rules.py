"""Posting rules for security deposits (DOMAIN §B.2; FERC 235 customer
deposits, 431 interest on them); the utility edits them like any other rule."""

from django.db import migrations

RULES = [
    # event, debit, credit, description
    ("security_deposit_receipt", "131.1", "235", "security deposit received"),
    ("security_deposit_interest", "431", "235", "interest accrued on security deposits"),
    ("security_deposit_applied", "235", "142", "security deposit applied to the balance owing"),
    ("security_deposit_refund", "235", "232", "security deposit refunded (check or ACH credit payable)"),
]


def forwards(apps, schema_editor):
    GLAccount = apps.get_model("ledger", "GLAccount")
    PostingRule = apps.get_model("ledger", "PostingRule")
    accounts = {a.number: a for a in GLAccount.objects.filter(number__in={n for r in RULES for n in r[1:3]})}
    for event, debit, credit, description in RULES:
        if debit in accounts and credit in accounts:
            PostingRule.objects.get_or_create(event=event, service="", customer_class="", defaults={
                "debit_account": accounts[debit], "credit_account": accounts[credit], "description": description})


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_deposits_representment_phone_unclaimed"),
        ("ledger", "0002_chart_and_triggers"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
