"""Counter amounts: read strictly, and above the tender's limit they wait for
approval (issue 10, point 9). An assistant posted a $99,999,999,999.99 cash
payment; "1e12" was a 500; "1e2" and "1,000.00" were taken as amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.ledger.models import JournalEntry
from ratepayer.payments import actions
from ratepayer.payments.errors import PaymentError, PaymentNeedsApproval
from ratepayer.payments.models import Payment
from ratepayer.staff import approvals
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.models import ApprovalRequest
from tests.payments.conftest import assert_ledger_ok, balance, charge

D = Decimal


def _take(users, drawer, account, amount, tender="cash", **extra):
    return actions.take_payment(user=users["assistant"], session=drawer, account=account, tender=tender,
                                amount=amount, **extra)


def _tables():
    return (Payment.objects.count(), JournalEntry.objects.count(), ApprovalRequest.objects.count())


@pytest.mark.parametrize("amount, problem", [
    ("99999999999.99", r"more than \$9,999,999.99"), ("1e12", "exponent"), ("1e2", "exponent"),
    ("1,000.00", "comma"), ("12.345", "more than two decimals"), ("NaN", "not an amount"), ("-5", "negative"),
])
def test_a_bad_amount_is_refused_naming_the_field_and_posts_nothing(users, utility, drawer, amount, problem):
    before = _tables()
    with pytest.raises(PaymentError, match=f"^Amount: .*{problem}"):
        _take(users, drawer, utility.account, amount)
    assert _tables() == before
    assert_ledger_ok()


def test_cash_above_the_limit_waits_for_approval_and_posts_only_when_approved(users, utility, drawer):
    charge(utility.electric, "20000.00", date(2025, 2, 28))
    before = Payment.objects.count()
    with pytest.raises(PaymentNeedsApproval, match=r"^Needs approval: .*\$15,000.00 .*limit of \$10,000.00") as held:
        _take(users, drawer, utility.account, "15000.00", token="t-1")
    assert Payment.objects.count() == before and balance(utility.electric) == D("20000.00")
    request = held.value.request
    # the same form sent again is not queued twice
    with pytest.raises(PaymentNeedsApproval):
        _take(users, drawer, utility.account, "15000.00", token="t-1")
    assert ApprovalRequest.objects.filter(kind="payments.counter_payment").count() == 1
    # the drawer cannot be counted while money in it waits
    with pytest.raises(PaymentError, match="waiting for approval"):
        actions.close_drawer(user=users["assistant"], session=drawer, cash_count={}, check_amounts=[])
    with pytest.raises(PermissionRefused):
        approvals.approve(request_id=request.pk, approver=users["assistant"])
    approvals.approve(request_id=request.pk, approver=users["senior"])
    payment = Payment.objects.get(batch=drawer.batch)
    assert payment.amount == D("15000.00") and payment.created_by == users["assistant"]
    assert payment.external_reference == "counter:t-1"
    assert balance(utility.electric) == D("5000.00")
    assert_ledger_ok()


def test_a_rejected_counter_payment_posts_nothing(users, utility, drawer):
    with pytest.raises(PaymentNeedsApproval) as held:
        _take(users, drawer, utility.account, "300000.00", tender="check", check_number="1001",
              check_routing="021000021", payer_name="Jane Doe")
    before = _tables()
    approvals.reject(request_id=held.value.request.pk, approver=users["supervisor"], note="call the bank first")
    assert _tables()[:2] == before[:2]
    assert_ledger_ok()


def test_within_the_limit_a_payment_posts_at_once(users, utility, drawer):
    payment = _take(users, drawer, utility.account, "9999.99", tendered="10000.00")
    assert payment.status == Payment.Status.POSTED and payment.change_given == D("0.01")
    assert_ledger_ok()


def test_approving_into_a_drawer_closed_meanwhile_is_refused_on_the_page_and_posts_nothing(users, utility, drawer,
                                                                                          client):
    from django.urls import reverse

    from ratepayer.payments.models import DrawerSession

    with pytest.raises(PaymentNeedsApproval) as held:
        _take(users, drawer, utility.account, "15000.00", token="t-closed")
    DrawerSession.objects.filter(pk=drawer.pk).update(status=DrawerSession.Status.CLOSED)
    before = _tables()
    client.force_login(users["senior"])
    response = client.post(reverse("staff:approval_decide", args=[held.value.request.pk]), {"decision": "approve"},
                           secure=True)
    assert response.status_code == 400
    assert "the payment can only be posted into an open drawer" in response.content.decode()
    assert _tables() == before
    assert ApprovalRequest.objects.get(pk=held.value.request.pk).status == ApprovalRequest.Status.PENDING
    assert_ledger_ok()
