"""Customer security deposits: required, taken at the counter (held in 235, not
paid on the bill), interest, released to the balance owing and refunded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.ledger.models import JournalLine
from ratepayer.payments import actions, calculations, queries
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import DepositInterestRate, Refund, SecurityDeposit, SecurityDepositEntry
from ratepayer.staff import approvals
from ratepayer.staff.errors import PermissionRefused
from tests.payments.conftest import assert_ledger_ok, balance, charge

D = Decimal


def gl(number):
    return sum((x.debit - x.credit for x in JournalLine.objects.filter(gl_account__number=number)), D("0.00"))


def require(users, u, amount="200.00", who="specialist"):
    return actions.require_deposit(user=users[who], account=u.account, amount=amount,
                                   reason="disconnected for nonpayment in the last 12 months",
                                   required_on=date(2024, 1, 2), due_on=date(2024, 1, 16))


@pytest.fixture
def held(users, utility, drawer):
    deposit = require(users, utility)
    actions.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="cash", amount="100.00",
                            token="t1")
    actions.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="check",
                            amount="100.00", check_number="1001", check_routing="021000021", payer_name="Jane Doe")
    deposit.refresh_from_db()
    return deposit


def test_a_deposit_is_held_in_235_and_counted_in_the_drawer_not_paid_on_the_bill(users, utility, drawer, held):
    charge(utility.electric, "80.00", date(2025, 2, 1))
    assert held.status == "held" and held.received == D("200.00") and held.fully_paid_on == date(2025, 3, 3)
    assert gl("235") == D("-200.00") and gl("131.1") == D("200.00")
    assert balance(utility.electric) == D("80.00")  # the bill is still owed
    cash, checks, _cards = queries.expected_in_drawer(drawer)
    assert (cash, checks) == (D("200.00"), D("100.00"))  # float 100 + cash 100; one check
    assert queries.deposits_held_total() == -gl("235")
    assert_ledger_ok()


def test_installments_and_overpayment_refused_nothing_changes(users, utility, drawer):
    deposit = require(users, utility)
    actions.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="cash", amount="100.00")
    deposit.refresh_from_db()
    assert deposit.status == "required" and deposit.outstanding == D("100.00")
    with pytest.raises(PaymentError, match="more than the deposit still owed"):
        actions.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="cash",
                                amount="100.01")
    with pytest.raises(PaymentError, match="already has a security deposit"):
        require(users, utility)
    assert SecurityDepositEntry.objects.count() == 1 and gl("235") == D("-100.00")


def test_roles_are_enforced_in_the_actions(users, utility, drawer):
    with pytest.raises(PermissionRefused):
        require(users, utility, who="assistant")
    deposit = require(users, utility)
    with pytest.raises(PermissionRefused):
        actions.receive_deposit(user=users["auditor"], session=drawer, deposit=deposit, tender="cash", amount="5")
    with pytest.raises(PermissionRefused):
        actions.set_interest_rate(user=users["specialist"], effective_from=date(2025, 1, 1), annual_rate="4.5")
    with pytest.raises(PermissionRefused):
        actions.release_deposit(user=users["assistant"], deposit=deposit, reason="good payment")
    assert SecurityDeposit.objects.count() == 1 and not SecurityDepositEntry.objects.exists()
    assert not DepositInterestRate.objects.exists() and gl("235") == D("0.00")


def test_interest_calculation_is_simple_daily_and_effective_dated():
    receipts = [(date(2024, 1, 1), D("100.00")), (date(2024, 7, 1), D("100.00"))]
    rates = [(date(2024, 1, 1), D("5.0")), (date(2025, 1, 1), D("3.65"))]
    # 2024 (366 days): 100 × 5% × 182/366 + 200 × 5% × 184/366 = 2.4863 + 5.0273; 2025: 200 × 3.65% × 31/365
    expected = (D(100) * D("0.05") * 182 / 366 + D(200) * D("0.05") * 184 / 366
                + D(200) * D("0.0365") * 31 / 365).quantize(D("0.01"))
    assert calculations.deposit_interest(receipts, rates, date(2025, 2, 1)) == expected == D("8.13")
    assert calculations.deposit_interest(receipts, [], date(2025, 2, 1)) == D("0.00")
    assert calculations.deposit_interest(receipts, rates, date(2024, 1, 1)) == D("0.00")


def test_interest_accrues_once_per_day_and_posts_431_to_235(users, utility, held):
    actions.set_interest_rate(user=users["supervisor"], effective_from=date(2025, 1, 1), annual_rate="3.65",
                              source="H.15 1-year CMT 2024-11-15")
    with pytest.raises(PaymentError, match="already starts"):
        actions.set_interest_rate(user=users["supervisor"], effective_from=date(2025, 1, 1), annual_rate="4")
    result = actions.accrue_interest(on=date(2026, 3, 3))
    assert result == {"deposits": 1, "interest": "7.30", "through": "2026-03-03"}  # 200 × 3.65% × 365/365
    assert actions.accrue_interest(on=date(2026, 3, 3))["deposits"] == 0
    held.refresh_from_db()
    assert held.interest == D("7.30") and held.held == D("207.30")
    assert gl("431") == D("7.30") and gl("235") == D("-207.30")
    assert_ledger_ok()


def test_release_applies_to_the_balance_owing_and_refunds_the_rest(users, utility, held):
    actions.set_interest_rate(user=users["supervisor"], effective_from=date(2025, 1, 1), annual_rate="3.65")
    charge(utility.electric, "50.00", date(2026, 2, 1))
    release = actions.release_deposit(user=users["specialist"], deposit=held, reason="final bill",
                                      on=date(2026, 3, 3))
    assert release.applied == D("50.00") and balance(utility.electric) == D("0.00")
    refund = release.refund
    assert refund.amount == D("157.30") and refund.status == "issued" and refund.check_number
    assert refund.payee == utility.account.customer.name and refund.security_deposit_id == held.pk
    assert release.deposit.status == "released" and release.deposit.held == D("0.00")
    assert gl("235") == D("0.00") and gl("232") == D("-157.30")
    assert [e.kind for e in held.entries.order_by("pk")] == ["receipt", "receipt", "interest", "applied", "refunded"]
    actions.clear_refund(user=users["specialist"], refund=refund, cleared_on=date(2026, 3, 20))
    assert gl("232") == D("0.00")
    assert_ledger_ok()


def test_a_refund_above_the_limit_waits_for_approval_rejected_the_deposit_stays_held(users, utility, drawer):
    deposit = require(users, utility, amount="450.00")
    actions.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="cash", amount="450.00")
    release = actions.release_deposit(user=users["specialist"], deposit=deposit, reason="good payment",
                                      on=date(2025, 3, 3))  # specialist's refund limit is 200.00
    assert release.refund.status == "pending" and release.deposit.status == "releasing"
    assert gl("235") == D("-450.00")
    approvals.reject(request_id=release.refund.approval_request_id, approver=users["senior"], note="wrong payee")
    deposit.refresh_from_db()
    assert deposit.status == "held" and deposit.held == D("450.00")
    release = actions.release_deposit(user=users["specialist"], deposit=deposit, reason="good payment",
                                      on=date(2025, 3, 4), method="ach")
    approvals.approve(request_id=release.refund.approval_request_id, approver=users["senior"])
    deposit.refresh_from_db()
    assert deposit.status == "released" and gl("235") == D("0.00") and gl("232") == D("-450.00")
    assert Refund.objects.get(status="issued").method == "ach"
    assert_ledger_ok()


def test_due_back_after_good_payment_or_at_final_bill(users, utility, held):
    assert queries.deposits_due_back(date(2026, 3, 2)) == []  # 12 months from 2025-03-03 not yet passed
    (due,) = queries.deposits_due_back(date(2026, 3, 3))
    assert due.pk == held.pk and "good payment" in due.due_reason
    charge(utility.electric, "5.00", date(2025, 9, 1), event="late_fee")
    assert queries.deposits_due_back(date(2026, 3, 3)) == []  # a late payment in the period
    utility.electric.__class__.objects.filter(account=utility.account).update(status="ended", end_date=date(2025, 5, 31))
    (due,) = actions.review_deposits(on=date(2025, 6, 1), user=users["specialist"])
    assert due.due_reason.startswith("final bill")


def test_an_uncashed_deposit_refund_check_is_reported_as_a_utility_deposit(users, utility, held):
    from datetime import timedelta

    release = actions.release_deposit(user=users["specialist"], deposit=held, reason="final bill",
                                      on=date(2025, 3, 3))
    on = release.refund.issued_on + timedelta(days=365)
    (moved,) = actions.move_uncashed_to_unclaimed(user=users["specialist"], on=on)
    assert moved.pk == release.refund.pk and gl("242") == D("-200.00") and gl("232") == D("0.00")
    (row,) = queries.unclaimed_report(on.year + (1 if on.month > 6 else 0))
    assert (row["property_type"], row["amount"], row["owner_name"]) == ("UT01", D("200.00"),
                                                                        utility.account.customer.name)
    assert_ledger_ok()
