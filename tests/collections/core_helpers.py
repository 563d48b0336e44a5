"""Builders for the collections backbone's tests: issued bills posted to the
ledger the way a bill run posts them (entry source billing.bill), payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ratepayer.billing.models import Bill
from ratepayer.ledger.actions import Line, post


def issue_bill(account, amounts: dict, bill_date: date, due_date: date) -> Bill:
    """A bill of ``amounts`` {agreement: Decimal}, posted Dr 142 / Cr revenue."""
    total = sum(amounts.values(), Decimal("0"))
    bill = Bill.objects.create(account=account, period_start=bill_date.replace(day=1), period_end=bill_date,
                               bill_date=bill_date, due_date=due_date, status="issued", current_charges=total,
                               amount_due=total)
    lines = []
    for agreement, amount in amounts.items():
        revenue = {"electric": "440", "water": "461.1", "sewer": "521.1"}[agreement.service]
        lines += [Line("142", debit=amount, account_id=account.pk, agreement_id=agreement.pk),
                  Line(revenue, credit=amount)]
    post(event="bill_charge", effective_date=bill_date, description=f"bill {bill.pk}", lines=lines,
         source_type="billing.bill", source_id=bill.pk, idempotency_key=bill.idempotency_key)
    return bill


def pay(account, agreement, amount: Decimal, on: date):
    return post(event="payment", effective_date=on, description="payment",
                lines=[Line("131.1", debit=amount),
                       Line("142", credit=amount, account_id=account.pk, agreement_id=agreement.pk)])
