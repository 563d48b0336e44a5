"""Payments test helpers: charges to pay, a drawer to pay into."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.ledger import checks
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.ledger.models import ARBalance

D = Decimal


def charge(agreement, amount, on: date, event: str = "bill_charge"):
    """A charge on an agreement, as a bill would post it (Dr 142 / Cr revenue)."""
    debit, credit = PostingRules().accounts(event, agreement.service, agreement.customer_class)
    return post(event=event, effective_date=on, description=f"test charge {amount}", lines=[
        Line(debit, debit=D(amount), account_id=agreement.account_id, agreement_id=agreement.pk),
        Line(credit, credit=D(amount), account_id=agreement.account_id, agreement_id=agreement.pk),
    ])


def balance(agreement) -> Decimal:
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else D("0.00")


def assert_ledger_ok():
    result = checks.run_all()
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]


@pytest.fixture
def drawer(users):
    from ratepayer.payments import actions

    return actions.open_drawer(user=users["assistant"], business_date=date(2025, 3, 3), opening_float="100.00")
