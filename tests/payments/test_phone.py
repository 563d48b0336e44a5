"""Pay-by-phone settlement files: atomic, idempotent, bad rows named by line and
field, card data limited to the reference, last four and brand; the batch's
card settlement deposit is matched by the bank statement like a lockbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.formats.text import parse_amount
from ratepayer.ledger.models import JournalEntry
from ratepayer.payments import actions
from ratepayer.payments.errors import ImportRefused, PaymentError
from ratepayer.payments.models import (
    BankLine,
    Deposit,
    ImportedFile,
    Payment,
    SecurityDeposit,
    SecurityDepositEntry,
    SuspenseItem,
)
from ratepayer.staff.errors import PermissionRefused
from tests.payments.conftest import assert_ledger_ok, balance, charge
from tests.payments.helpers import bai2_file

D = Decimal
HEADER = "settlement_date,transaction_id,account,amount,card_brand,last4,payer_name,purpose\n"


def phone_file(*rows: str) -> bytes:
    """The file with its trailer: the number of rows and their total (amounts in the 4th column)."""
    total = sum((parse_amount(r.split(",")[3]) or D(0) for r in rows), D("0.00"))
    return (HEADER + "".join(r + "\n" for r in rows) + f"TRAILER,{len(rows)},{total}\n").encode()


def test_a_file_posts_card_payments_suspense_and_a_settlement_deposit(users, utility):
    charge(utility.electric, "80.00", date(2025, 2, 1))
    n = utility.account.number
    content = phone_file(f"2025-03-04,TX1001,{n},80.00,VISA,4242,Jane Doe,",
                         "2025-03-04,TX1002,99999999,12.50,MC,4444,Unknown Caller,payment",
                         f"2025-03-05,TX1003,{n},10.00,Amex,0005,Jane Doe,")
    imported = actions.import_phone_payments(user=users["specialist"], content=content, name="ivr-20250305.csv")
    assert imported.kind == "phone" and imported.total == D("102.50") and imported.summary["payments"] == 2
    p = Payment.objects.get(external_reference="phone:TX1001")
    assert (p.tender, p.card_brand, p.card_last4, p.batch.kind) == ("card", "Visa", "4242", "phone")
    assert balance(utility.electric) == D("-10.00")
    assert SuspenseItem.objects.get().reason == "pay-by-phone: account 99999999 not found"
    deposits = list(Deposit.objects.order_by("business_date"))
    assert [(d.kind, d.amount) for d in deposits] == [("card", D("92.50")), ("card", D("10.00"))]
    statement = bai2_file(date(2025, 3, 5), [("165", "92.50", "CARD1", "CARD SETTLEMENT"),
                                              ("165", "10.00", "CARD2", "CARD SETTLEMENT")])
    actions.import_bank_statement(user=users["specialist"], content=statement, name="bai-0305.txt")
    assert BankLine.objects.filter(status="matched").count() == 2
    with pytest.raises(ImportRefused, match="already imported"):
        actions.import_phone_payments(user=users["specialist"], content=content, name="again.csv")
    assert_ledger_ok()


def test_bad_rows_refuse_the_whole_file_named_by_line_and_field(users, utility):
    n = utility.account.number
    content = phone_file(f"2025-03-04,TX1,{n},80.00,VISA,4242,Jane,",
                         f"03/04/2025,TX2,{n},1.00,VISA,4242,Jane,",
                         f"2025-03-04,TX3,{n},12.3.4,VISA,4242,Jane,",
                         f"2025-03-04,TX4,{n},5.00,Diners,42,Jane,",
                         f"2025-03-04,TX5,{n},5.00,VISA,4242,4111 1111 1111 1111,",
                         f"2025-03-04,TX1,{n},5.00,VISA,4242,Jane,",
                         f"2025-03-04,TX6,{n},5.00,VISA,4242,Jane,gift")
    with pytest.raises(ImportRefused) as refused:
        actions.import_phone_payments(user=users["specialist"], content=content, name="bad.csv")
    problems = refused.value.problems
    assert "line 3: settlement date: '03/04/2025' is not a date (%Y-%m-%d)" in problems
    assert any(p.startswith("line 4: amount:") for p in problems)
    assert any(p.startswith("line 5: card brand:") for p in problems)
    assert any(p.startswith("line 5: last4:") for p in problems)
    assert any(p.startswith("line 6: payer name: looks like a full card number") for p in problems)
    assert "line 7: transaction id: TX1 is also on line 2" in problems
    assert any(p.startswith("line 8: purpose:") for p in problems)
    assert not ImportedFile.objects.exists() and not Payment.objects.exists() and not JournalEntry.objects.filter(
        event="payment").exists()


def test_column_map_and_a_deposit_row(users, utility):
    deposit = actions.require_deposit(user=users["specialist"], account=utility.account, amount="100.00",
                                      reason="no credit history", required_on=date(2025, 3, 1))
    layout = actions.PhoneCsvLayout.from_mapping({"settlement_date": "Date", "reference": "Ref", "account": "Acct",
                                                  "amount": "Amt", "card_brand": "Brand", "last4": "Last4",
                                                  "payer_name": None, "purpose": "Type",
                                                  "date_format": "%m/%d/%Y"})
    content = (f"Date,Ref,Acct,Amt,Brand,Last4,Type\n03/04/2025,A1,{utility.account.number},100.00,Discover,"
               "1117,deposit\nTRAILER,1,100.00\n").encode()
    actions.import_phone_payments(user=users["specialist"], content=content, name="mapped.csv", layout=layout)
    deposit.refresh_from_db()
    assert deposit.status == "held" and SecurityDepositEntry.objects.get().batch.kind == "phone"
    assert not Payment.objects.exists() and Deposit.objects.get().amount == D("100.00")
    with pytest.raises(PaymentError, match="unknown key"):
        actions.PhoneCsvLayout.from_mapping({"amt": "Amt"})
    assert SecurityDeposit.objects.get().received == D("100.00")
    assert_ledger_ok()


def test_only_payment_staff_import(users, utility):
    content = phone_file(f"2025-03-04,TX1,{utility.account.number},80.00,VISA,4242,Jane,")
    with pytest.raises(PermissionRefused):
        actions.import_phone_payments(user=users["assistant"], content=content, name="x.csv")
    assert not ImportedFile.objects.exists() and not Payment.objects.exists()


def _accounts(users, utility, n):
    from tests.payments.helpers import second_account

    return [utility.account] + [second_account(users["specialist"], utility, name=f"Caller {i}",
                                               line1=f"{i} Elm St")[0] for i in range(n - 1)]


@pytest.mark.parametrize("n", [3, 12])
def test_import_queries_do_not_grow_with_rows(users, utility, n):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    accounts = _accounts(users, utility, n)
    content = phone_file(*[f"2025-03-04,Q{i},{a.number},5.00,VISA,4242,," for i, a in enumerate(accounts)])
    with CaptureQueriesContext(connection) as queries:
        actions.import_phone_payments(user=users["specialist"], content=content, name=f"q{n}.csv")
    assert Payment.objects.count() == n
    assert len(queries) <= 51, len(queries)  # 51 on SQLite (one is the collections recovery hook), for 3 rows as for 12


def test_interest_accrual_queries_do_not_grow_with_deposits(users, utility, drawer, django_assert_max_num_queries):
    accounts = _accounts(users, utility, 8)
    for a in accounts:
        d = actions.require_deposit(user=users["specialist"], account=a, amount="50.00", reason="no history",
                                    required_on=date(2025, 3, 1))
        actions.receive_deposit(user=users["assistant"], session=drawer, deposit=d, tender="cash", amount="50.00")
    actions.set_interest_rate(user=users["supervisor"], effective_from=date(2025, 1, 1), annual_rate="3.65")
    with django_assert_max_num_queries(25):
        assert actions.accrue_interest(on=date(2026, 3, 3))["deposits"] == 8
    assert_ledger_ok()
