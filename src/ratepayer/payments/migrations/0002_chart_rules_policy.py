"""GL accounts and posting rules payments needs, and the first payment policy.

Payments sits above the ledger, so it may add rows to the ledger's tables; the
utility edits them afterwards like any other rule."""

from datetime import date
from decimal import Decimal

from django.db import migrations

ACCOUNTS = [
    # number, name, kind, system
    ("253.1", "Unapplied cash — suspense", "liability", "local"),
    ("903.9", "Cash over and short", "expense", "local"),
]

RULES = [
    # event, debit, credit, description
    ("suspense_receipt", "131.1", "253.1", "money received that could not be applied"),
    ("suspense_apply", "253.1", "142", "suspense money applied to an account"),
    ("deposit", "131", "131.1", "receipts deposited at the bank"),
    ("drawer_over", "131.1", "903.9", "cash drawer over"),
    ("drawer_short", "903.9", "131.1", "cash drawer short"),
    ("refund_paid", "232", "131", "refund check cashed / ACH credit settled"),
    ("refund_unclaimed", "232", "242", "uncashed refund check moved to unclaimed property"),
]


def forwards(apps, schema_editor):
    GLAccount = apps.get_model("ledger", "GLAccount")
    PostingRule = apps.get_model("ledger", "PostingRule")
    PaymentPolicy = apps.get_model("payments", "PaymentPolicy")
    for number, name, kind, system in ACCOUNTS:
        GLAccount.objects.get_or_create(number=number, defaults={"name": name, "kind": kind, "system": system})
    accounts = {a.number: a for a in GLAccount.objects.all()}
    for event, debit, credit, description in RULES:
        PostingRule.objects.get_or_create(event=event, service="", customer_class="", defaults={
            "debit_account": accounts[debit], "credit_account": accounts[credit], "description": description})
    if not PaymentPolicy.objects.exists():
        PaymentPolicy.objects.create(effective_from=date(2000, 1, 1), returned_payment_fee=Decimal("25.00"),
                                     drawer_variance_limit=Decimal("5.00"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("ledger", "0002_chart_and_triggers"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
