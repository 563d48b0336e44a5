"""Credit-balance refunds with approval limits; uncashed checks to unclaimed property."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ratepayer.ledger.models import JournalLine
from ratepayer.payments import actions
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import Refund
from ratepayer.staff import approvals
from ratepayer.staff.errors import ApprovalError, PermissionRefused
from tests.payments.conftest import assert_ledger_ok, balance, charge

D = Decimal


def gl(number):
    return sum((x.debit - x.credit for x in JournalLine.objects.filter(gl_account__number=number)), D("0.00"))


@pytest.fixture
def credit(users, utility, drawer):
    charge(utility.electric, "100.00", date(2025, 2, 1))
    actions.take_payment(user=users["assistant"], session=drawer, account=utility.account, tender="cash",
                         amount="600.00")
    assert balance(utility.electric) == D("-500.00")
    return utility


def refund(users, u, who="specialist", amount="150.00", method="check"):
    return actions.request_refund(user=users[who], agreement=u.electric, amount=amount, method=method,
                                  payee="Jane Doe", payee_address="1204 Pine St, Everett WA 98201",
                                  reason="overpayment")


def test_within_the_limit_a_refund_is_issued_at_once(users, credit):
    r = refund(users, credit)
    assert r.status == "issued" and r.check_number == "500001"
    assert balance(credit.electric) == D("-350.00") and gl("232") == D("-150.00")
    actions.clear_refund(user=users["specialist"], refund=r, cleared_on=date(2025, 3, 20))
    r.refresh_from_db()
    assert r.status == "cleared" and gl("232") == D("0.00") and gl("131") == D("-150.00")
    assert_ledger_ok()


def test_above_the_limit_it_waits_for_approval_and_the_maker_cannot_approve(users, credit):
    r = refund(users, credit, amount="400.00")  # specialist's refund limit is 200.00
    assert r.status == "pending" and balance(credit.electric) == D("-500.00")
    with pytest.raises(PermissionRefused):
        approvals.approve(request_id=r.approval_request_id, approver=users["specialist2"])
    approvals.approve(request_id=r.approval_request_id, approver=users["senior"])
    r.refresh_from_db()
    assert r.status == "issued" and balance(credit.electric) == D("-100.00")
    r2 = refund(users, credit, amount="100.00", method="ach")
    assert r2.status == "issued" and r2.check_number == ""
    assert_ledger_ok()


def test_the_maker_cannot_approve_their_own_refund(users, credit, drawer):
    actions.take_payment(user=users["assistant"], session=drawer, account=credit.account, tender="cash",
                         amount="1000.00")
    r = refund(users, credit, who="senior", amount="1200.00")  # senior's refund limit is 1,000.00
    assert r.status == "pending"
    with pytest.raises(ApprovalError, match="own work"):
        approvals.approve(request_id=r.approval_request_id, approver=users["senior"])
    approvals.approve(request_id=r.approval_request_id, approver=users["supervisor"])
    r.refresh_from_db()
    assert r.status == "issued"


def test_refunds_are_limited_to_the_credit_balance_and_to_payment_staff(users, credit):
    with pytest.raises(PaymentError, match="more than the credit balance"):
        refund(users, credit, amount="500.01")
    pending = refund(users, credit, amount="450.00")
    assert pending.status == "pending"
    with pytest.raises(PaymentError, match="available to refund"):
        refund(users, credit, amount="60.00")
    with pytest.raises(PermissionRefused):
        refund(users, credit, who="assistant", amount="10.00")
    approvals.reject(request_id=pending.approval_request_id, approver=users["senior"], note="customer moved")
    pending.refresh_from_db()
    assert pending.status == "rejected" and Refund.objects.filter(status="issued").count() == 0


def test_uncashed_refund_checks_become_unclaimed_property_after_a_year(users, credit):
    r = refund(users, credit)
    issued = r.issued_on
    assert actions.move_uncashed_to_unclaimed(user=users["specialist"], on=issued + timedelta(days=364)) == []
    moved = actions.move_uncashed_to_unclaimed(user=users["specialist"], on=issued + timedelta(days=365))
    assert [m.pk for m in moved] == [r.pk]
    r.refresh_from_db()
    assert r.status == "unclaimed" and gl("232") == D("0.00") and gl("242") == D("-150.00")
    assert_ledger_ok()


def test_unclaimed_property_report_lists_voided_checks_of_the_period_with_naupa_codes(users, credit):
    from ratepayer.payments import queries

    r = refund(users, credit)
    with pytest.raises(PermissionRefused):
        actions.move_uncashed_to_unclaimed(user=users["assistant"], on=r.issued_on + timedelta(days=400))
    assert Refund.objects.get(pk=r.pk).status == "issued" and gl("242") == D("0.00")
    moved_on = date(r.issued_on.year + 1, 6, 30) if r.issued_on.month <= 6 else date(r.issued_on.year + 2, 6, 30)
    actions.move_uncashed_to_unclaimed(user=users["specialist"], on=moved_on)
    (row,) = queries.unclaimed_report(moved_on.year)
    assert (row["owner_name"], row["amount"], row["property_type"], row["check_number"]) == (
        "Jane Doe", D("150.00"), "UT03", r.check_number)
    assert row["owner_last_address"] == "1204 Pine St, Everett WA 98201"
    assert row["date_of_last_contact"] == max(date(2025, 3, 3), r.requested_at.date())  # last payment or refund
    assert queries.unclaimed_report(moved_on.year + 1) == []  # July 1 starts the next report year
    lines = queries.unclaimed_report_csv(moved_on.year).splitlines()
    assert lines[0].startswith("owner_name,owner_last_address,amount,date_of_last_contact,property_type")
    assert lines[1].startswith('Jane Doe,"1204 Pine St, Everett WA 98201",150.00,')
    assert_ledger_ok()
