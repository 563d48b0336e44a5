"""A full day of cash: counter drawer, lockbox and autopay into deposits, then
the next morning's bank statement ties every deposit out; returned items and
strangers are queued. `ratepayer ledger check` passes after every step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from ratepayer.ledger.models import JournalLine
from ratepayer.payments import actions
from ratepayer.payments.errors import ImportRefused, PaymentError
from ratepayer.payments.models import BankLine, Deposit, Payment, ReturnedPayment
from tests.payments.conftest import assert_ledger_ok, balance, charge
from tests.payments.helpers import bai2_file, lockbox_file, second_account, stub

D = Decimal
DAY = date(2025, 3, 10)  # a Monday


def gl(number):
    return sum((x.debit - x.credit for x in JournalLine.objects.filter(gl_account__number=number)), D("0.00"))


def ledger_check_passes():
    assert_ledger_ok()
    call_command("ledger", "check")  # the operator's command exits 0


@pytest.fixture
def day(users, utility):
    charge(utility.electric, "400.00", date(2025, 2, 1))
    charge(utility.water, "90.00", date(2025, 2, 1))
    account2, water2 = second_account(users["specialist"], utility)
    charge(water2, "300.00", date(2025, 2, 1))
    clerk = users["assistant"]
    session = actions.open_drawer(user=clerk, business_date=DAY, opening_float="50.00")
    actions.take_payment(user=clerk, session=session, account=utility.account, tender="cash", amount="60.00",
                         tendered="60.00")
    check = actions.take_payment(user=clerk, session=session, account=account2, tender="check", amount="125.00",
                                 check_number="4410", check_routing="021000021", payer_name="John Roe")
    actions.take_payment(user=clerk, session=session, account=utility.account, tender="card", amount="40.00",
                         card_brand="Visa", card_last4="1881", processor_reference="VX-1")
    ledger_check_passes()
    session = actions.close_drawer(user=clerk, session=session, cash_count={"20.00": 5, "10.00": 1},
                                   check_amounts=["125.00"])
    assert session.status == "closed" and session.variance == 0
    counter, card = actions.prepare_deposit(user=clerk, sessions=[session], business_date=DAY)
    ledger_check_passes()
    actions.import_lockbox(user=users["specialist"], name="lbx0310.txt", content=lockbox_file([
        ("100.00", "9001", [stub(utility.account.number, "100.00")]),
        ("75.00", "9002", [stub(account2.number, "75.00")]),
    ], deposit_date=DAY))
    ledger_check_passes()
    actions.enroll_autopay(user=users["specialist"], account=account2, holder_name="ROE JOHN",
                           routing_number="021000021", bank_account_number="5550001", account_type="checking",
                           draft_day=10, start_date=date(2025, 3, 1), authorized_on=date(2025, 3, 1),
                           authorization="web consent 2025-03-01", prenote=False)
    actions.run_autopay(on=date(2025, 3, 7), user=users["specialist"])
    actions.run_autopay(on=DAY, user=users["specialist"])
    ledger_check_passes()
    return utility, account2, water2, counter, card, check


def test_drawer_deposit_and_bank_statement_tie_out(users, day):
    utility, account2, water2, counter, card, check = day
    lockbox_deposit = Deposit.objects.get(kind="lockbox")
    ach_deposit = Deposit.objects.get(kind="ach")
    assert (counter.amount, card.amount, lockbox_deposit.amount, ach_deposit.amount) == (
        D("185.00"), D("40.00"), D("175.00"), D("100.00"))
    # every receipt of the day is deposited: cash clearing is empty, cash in bank holds the day
    assert gl("131.1") == D("0.00") and gl("131") == D("500.00")
    assert sum(p.amount for p in Payment.objects.all()) == D("500.00")
    statement = bai2_file(date(2025, 3, 11), [
        ("301", "185.00", "B301-1", "BRANCH DEPOSIT"),
        ("115", "175.00", "B115-1", "LOCKBOX 0012345"),
        ("165", "100.00", "B165-1", "ACH SETTLEMENT"),
        ("147", "40.00", "B147-1", "CARD SETTLEMENT"),
        ("555", "125.00", "B555-1", "RETURNED ITEM NSF"),
        ("301", "19.99", "B301-2", "UNKNOWN DEPOSIT"),
        ("698", "12.00", "B698-1", "ACCOUNT ANALYSIS FEE"),
    ])
    imported = actions.import_bank_statement(user=users["specialist"], content=statement, name="bai0311.txt")
    lines = {line.bank_reference: line for line in BankLine.objects.filter(file=imported)}
    assert lines["B301-1"].deposit == counter and lines["B115-1"].deposit == lockbox_deposit
    assert lines["B165-1"].deposit == ach_deposit and lines["B147-1"].deposit == card
    assert lines["B301-2"].status == "exception" and lines["B698-1"].status == "ignored"
    assert lines["B555-1"].status == "returned_item"
    assert not Deposit.objects.filter(bank_line__isnull=True).exists()  # every deposit ties to the bank
    ledger_check_passes()
    # the returned check is researched and matched to its payment: reversed, fee charged
    returned = ReturnedPayment.objects.get(status="unmatched")
    before = balance(water2)
    processed = actions.resolve_returned_item(user=users["specialist"], returned=returned, payment=check)
    assert processed.status == "processed" and processed.payment == check
    assert balance(water2) == before + D("125.00") + D("25.00")
    ledger_check_passes()
    actions.resolve_bank_exception(user=users["specialist"], line=lines["B301-2"], note="interest posting, not ours")
    assert not BankLine.objects.filter(status="exception").exists()
    # the statement twice changes nothing
    with pytest.raises(ImportRefused, match="already imported"):
        actions.import_bank_statement(user=users["specialist"], content=statement, name="again.txt")


def test_a_truncated_statement_is_refused_whole(users, day):
    statement = bai2_file(date(2025, 3, 11), [("301", "185.00", "B301-1", "BRANCH DEPOSIT"),
                                              ("115", "175.00", "B115-1", "LOCKBOX")])
    cut = b"\n".join(statement.splitlines()[:-2]) + b"\n"
    with pytest.raises(ImportRefused, match="line"):
        actions.import_bank_statement(user=users["specialist"], content=cut, name="cut.txt")
    wrong_total = statement.replace(b"49,36000", b"49,36001")
    assert wrong_total != statement
    with pytest.raises(ImportRefused, match="line"):
        actions.import_bank_statement(user=users["specialist"], content=wrong_total, name="bad.txt")
    assert not BankLine.objects.exists()


def test_unmatched_lines_can_be_matched_by_hand(users, day):
    counter = day[3]
    actions.import_bank_statement(user=users["specialist"], name="s.txt", content=bai2_file(
        date(2025, 3, 11), [("206", "185.00", "B206-1", "BOOK TRANSFER")]))
    line = BankLine.objects.get()
    assert line.status == "exception"
    with pytest.raises(PaymentError, match="is 40.00|is \\$40.00"):
        actions.match_bank_line(user=users["specialist"], line=line, deposit=Deposit.objects.get(kind="card"))
    actions.match_bank_line(user=users["specialist"], line=line, deposit=counter, note="teller keyed it as transfer")
    line.refresh_from_db()
    assert line.status == "matched" and line.deposit == counter
