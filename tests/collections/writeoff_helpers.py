"""Builders for the closed-account tests: a closed account that owes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.ledger.models import JournalLine
from tests.payments.conftest import charge

D = Decimal
CLOSED_ON = date(2025, 1, 31)


def close(account, on: date = CLOSED_ON) -> Account:
    """The account as customers.close_account leaves it (services ended, account closed)."""
    ServiceAgreement.objects.filter(account=account).update(status="ended", end_date=on)
    Account.objects.filter(pk=account.pk).update(status="closed", closed_on=on)
    account.refresh_from_db()
    return account


def closed_owing(utility, electric="120.00", water="30.00") -> Account:
    """The small utility's account, billed then closed owing ``electric`` + ``water``."""
    if D(electric):
        charge(utility.electric, electric, date(2025, 1, 5))
    if D(water):
        charge(utility.water, water, date(2025, 1, 5))
    return close(utility.account)


def gl(number: str) -> Decimal:
    return sum((x.debit - x.credit for x in JournalLine.objects.filter(gl_account__number=number)), D("0.00"))
