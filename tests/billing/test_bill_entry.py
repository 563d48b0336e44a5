"""A bill's journal entry names the account by its number, as people know it
(issue 10, point 14: the history said "Bill 39161 for account 156", an internal id)."""

from datetime import date
from decimal import Decimal

from ratepayer.billing.billrun import entry_for
from ratepayer.billing.models import Bill


def test_a_bill_entry_names_the_account_number_not_its_id():
    bill = Bill(pk=39161, account_id=156, bill_date=date(2026, 11, 30), period_end=date(2026, 11, 25))
    spec = entry_for(bill, {("142", 7): Decimal("84.12")}, {("440", 7): Decimal("84.12")}, account_number="10000016")
    assert spec.description == "Bill 39161 for account 10000016, period ending 2026-11-25"
