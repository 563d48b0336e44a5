"""Drawer close (count, over/short, approval) and deposits (RCW 43.09.240)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.ledger.models import JournalLine
from ratepayer.payments import actions, queries
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import Deposit, DrawerSession
from ratepayer.staff import approvals
from ratepayer.staff.errors import ApprovalError
from tests.payments.conftest import assert_ledger_ok, charge

D = Decimal


def gl_balance(number: str) -> Decimal:
    lines = JournalLine.objects.filter(gl_account__number=number)
    return sum((line.debit - line.credit for line in lines), D("0.00"))


@pytest.fixture
def day(users, utility, drawer):
    charge(utility.electric, "300.00", date(2025, 2, 1))
    clerk = users["assistant"]
    actions.take_payment(user=clerk, session=drawer, account=utility.account, tender="cash", amount="45.50",
                         tendered="50.00")
    actions.take_payment(user=clerk, session=drawer, account=utility.account, tender="check", amount="80.00",
                         check_number="311", check_routing="021000021", payer_name="Jane Doe")
    actions.take_payment(user=clerk, session=drawer, account=utility.account, tender="money_order", amount="20.00",
                         check_number="88001")
    actions.take_payment(user=clerk, session=drawer, account=utility.account, tender="card", amount="33.00",
                         card_brand="Mastercard", card_last4="5100", processor_reference="T-1")
    return drawer


# float 100.00 + cash 45.50 = 145.50: 7×20 + 1×5 + 2×0.25
BALANCED_CASH = {"20.00": 7, "5.00": 1, "0.25": 2}


def test_a_balanced_drawer_closes_and_deposits(users, day):
    session = actions.close_drawer(user=users["assistant"], session=day, cash_count=BALANCED_CASH,
                                   check_amounts=["80.00", "20.00"])
    assert session.status == "closed" and session.variance == D("0.00") and session.variance_entry is None
    assert (session.expected_cash, session.expected_checks) == (D("145.50"), D("100.00"))
    deposits = actions.prepare_deposit(user=users["assistant"], sessions=[session], business_date=date(2025, 3, 3))
    counter, card = deposits
    assert (counter.kind, counter.amount, counter.cash_amount, counter.check_amount, counter.item_count) == (
        "counter", D("145.50"), D("45.50"), D("100.00"), 2)
    assert (card.kind, card.amount) == ("card", D("33.00"))
    # every receipt of the day left cash clearing for the bank
    assert gl_balance("131.1") == D("0.00") and gl_balance("131") == D("178.50")
    session.refresh_from_db()
    assert session.status == "deposited" and session.deposit == counter
    with pytest.raises(PaymentError, match="only closed"):
        actions.prepare_deposit(user=users["assistant"], sessions=[session])
    assert_ledger_ok()


def test_small_short_posts_to_the_variance_account(users, day):
    short = {"20.00": 7, "5.00": 1}  # 0.50 short
    with pytest.raises(PaymentError, match=r"^Reason: the drawer is short \$0.50"):
        actions.close_drawer(user=users["assistant"], session=day, cash_count=short, check_amounts=["80.00", "20.00"])
    day.refresh_from_db()
    assert day.status == "open" and day.variance is None
    session = actions.close_drawer(user=users["assistant"], session=day, cash_count=short,
                                   check_amounts=["80.00", "20.00"], reason="two quarters missing after recount")
    assert session.status == "closed" and session.variance == D("-0.50")
    assert session.count["variance_reason"] == "two quarters missing after recount"
    assert actions.core.over_short_words(session.variance) == "short $0.50"
    assert actions.core.over_short_words(D("5.00")) == "over $5.00" and actions.core.over_short_words(D(0)) == "balanced"
    assert gl_balance("903.9") == D("0.50")
    actions.prepare_deposit(user=users["assistant"], sessions=[session], business_date=date(2025, 3, 3))
    assert gl_balance("131.1") == D("0.00")
    assert_ledger_ok()


def test_a_large_variance_waits_for_another_persons_approval(users, day):
    clerk, senior = users["assistant"], users["senior"]
    session = actions.close_drawer(user=clerk, session=day, cash_count={"20.00": 6, "5.00": 1, "0.25": 2},
                                   check_amounts=["80.00", "20.00"], reason="a twenty missing")
    assert session.status == "variance_pending" and session.variance == D("-20.00")
    assert not JournalLine.objects.filter(gl_account__number="903.9").exists()
    with pytest.raises(PaymentError, match="only closed"):
        actions.prepare_deposit(user=clerk, sessions=[session])
    with pytest.raises(Exception):  # noqa: B017 - the clerk has no approval capability
        approvals.approve(request_id=session.approval_request_id, approver=clerk)
    # a rejection sends the drawer back for a recount, nothing posted
    approvals.reject(request_id=session.approval_request_id, approver=senior, note="recount the twenties")
    session.refresh_from_db()
    assert session.status == "open" and session.variance is None
    session = actions.close_drawer(user=clerk, session=session, cash_count={"20.00": 6, "5.00": 1, "0.25": 2},
                                   check_amounts=["80.00", "20.00"], reason="recounted, still a twenty short")
    approvals.approve(request_id=session.approval_request_id, approver=senior, note="counted twice, short")
    session.refresh_from_db()
    assert session.status == "closed" and gl_balance("903.9") == D("20.00")
    assert_ledger_ok()


def test_the_maker_cannot_approve_their_own_variance(users, day):
    senior = users["senior"]
    session = actions.close_drawer(user=senior, session=day, cash_count={"100.00": 3},
                                   check_amounts=["80.00", "20.00"], reason="unexplained")
    assert session.status == "variance_pending"
    with pytest.raises(ApprovalError, match="Nobody approves their own work"):
        approvals.approve(request_id=session.approval_request_id, approver=senior)


def test_bad_counts_are_refused(users, day):
    with pytest.raises(PaymentError, match="Cash count"):
        actions.close_drawer(user=users["assistant"], session=day, cash_count={"-5": 1}, check_amounts=[])
    with pytest.raises(PaymentError, match="Check 1"):
        actions.close_drawer(user=users["assistant"], session=day, cash_count={}, check_amounts=["abc"])
    with pytest.raises(PaymentError, match="clerk or a supervisor"):
        actions.close_drawer(user=users["specialist"], session=day, cash_count={}, check_amounts=[])
    day.refresh_from_db()
    assert day.status == "open"


def test_one_open_drawer_per_clerk(users, day):
    with pytest.raises(PaymentError, match="already have an open drawer"):
        actions.open_drawer(user=users["assistant"])


def test_undeposited_receipts_older_than_one_business_day_are_flagged(users, day):
    # Monday 2025-03-03: due by Tuesday; flagged on Wednesday
    assert [s.overdue for s in queries.undeposited_sessions(date(2025, 3, 4))] == [False]
    flagged = queries.undeposited_sessions(date(2025, 3, 5))
    assert [(s.pk, s.overdue, s.deposit_due) for s in flagged] == [(day.pk, True, date(2025, 3, 4))]
    session = actions.close_drawer(user=users["assistant"], session=day, cash_count=BALANCED_CASH,
                                   check_amounts=["80.00", "20.00"])
    actions.prepare_deposit(user=users["assistant"], sessions=[session], business_date=date(2025, 3, 5))
    assert queries.undeposited_sessions(date(2025, 3, 5)) == []
    assert DrawerSession.objects.get().status == "deposited" and Deposit.objects.count() == 2
