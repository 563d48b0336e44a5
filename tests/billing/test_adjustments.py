from datetime import date
from decimal import Decimal

import pytest

from ratepayer.billing.actions import request_adjustment
from ratepayer.billing.errors import BillingError
from ratepayer.billing.models import Adjustment
from ratepayer.ledger import checks
from ratepayer.ledger.models import ARBalance, JournalEntry
from ratepayer.staff import approvals
from ratepayer.staff.errors import ApprovalError, PermissionRefused
from ratepayer.staff.models import ApprovalRequest, AuditEvent

D = Decimal


def balance(agreement):
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else D("0.00")


def test_adjustment_within_limit_posts_at_once_to_the_right_accounts(utility, users):
    adj = request_adjustment(user=users["specialist"], agreement=utility.water, direction="credit", amount="42.10",
                             reason_code="LEAK", memo="Leak repaired 2025-01-12, receipt seen")
    assert adj.status == "posted"
    lines = {(jl.gl_account.number, jl.debit, jl.credit) for jl in adj.journal_entry.lines.select_related("gl_account")}
    assert lines == {("461.1", D("42.10"), D("0.00")), ("142", D("0.00"), D("42.10"))}
    assert balance(utility.water) == D("-42.10")
    assert AuditEvent.objects.filter(action="adjustment.posted", account_id=utility.account.pk).exists()
    assert checks.run_all()["ok"]


def test_adjustment_above_limit_waits_and_its_maker_can_never_approve_it(utility, users):
    maker = users["specialist"]  # limit 250.00
    adj = request_adjustment(user=maker, agreement=utility.electric, direction="debit", amount="900.00",
                             reason_code="BACKBILL", memo="Meter bypass found by field crew")
    assert adj.status == "pending" and adj.journal_entry is None
    request = ApprovalRequest.objects.get(pk=adj.approval_request_id)
    assert request in approvals.inbox_for(users["senior"])
    assert request not in approvals.inbox_for(maker)

    with pytest.raises(PermissionRefused):  # a specialist cannot approve anything
        approvals.approve(request_id=request.pk, approver=maker)
    # even if the maker's role allowed approvals, their own request is refused
    maker.groups.add(users["senior"].groups.first())
    del maker._ratepayer_capabilities
    with pytest.raises(ApprovalError, match="Nobody approves their own work"):
        approvals.approve(request_id=request.pk, approver=maker)
    request.refresh_from_db()
    assert request.status == "pending"
    assert not JournalEntry.objects.exists() and balance(utility.electric) == D("0.00")

    approvals.approve(request_id=request.pk, approver=users["senior"], note="photos reviewed")
    adj.refresh_from_db()
    assert adj.status == "posted" and balance(utility.electric) == D("900.00")
    assert AuditEvent.objects.filter(action="approval.approved", user=users["senior"]).exists()
    with pytest.raises(ApprovalError, match="already approved"):
        approvals.approve(request_id=request.pk, approver=users["supervisor"])
    assert checks.run_all()["ok"]


def test_approver_limit_applies_too(utility, users):
    adj = request_adjustment(user=users["specialist"], agreement=utility.electric, direction="credit",
                             amount="5000.00", reason_code="BILLERR", memo="Multiplier was 10x wrong")
    with pytest.raises(ApprovalError, match="above your own adjustment limit"):
        approvals.approve(request_id=adj.approval_request_id, approver=users["senior"])  # senior limit 1000
    approvals.approve(request_id=adj.approval_request_id, approver=users["supervisor"])
    assert balance(utility.electric) == D("-5000.00")


def test_rejected_adjustment_posts_nothing(utility, users):
    adj = request_adjustment(user=users["specialist"], agreement=utility.electric, direction="credit",
                             amount="300.00", reason_code="GOODWILL", memo="Customer upset")
    with pytest.raises(ApprovalError, match="Say why"):
        approvals.reject(request_id=adj.approval_request_id, approver=users["senior"], note=" ")
    approvals.reject(request_id=adj.approval_request_id, approver=users["senior"], note="Not policy")
    adj.refresh_from_db()
    assert adj.status == "rejected" and adj.journal_entry is None
    assert not JournalEntry.objects.exists()


def test_assistant_cannot_adjust_and_nothing_changes(utility, users):
    before = (Adjustment.objects.count(), AuditEvent.objects.count(), ApprovalRequest.objects.count())
    with pytest.raises(PermissionRefused, match="not allowed to make adjustments"):
        request_adjustment(user=users["assistant"], agreement=utility.electric, direction="credit", amount="1.00",
                           reason_code="GOODWILL", memo="x")
    assert (Adjustment.objects.count(), AuditEvent.objects.count(), ApprovalRequest.objects.count()) == before


@pytest.mark.parametrize("kwargs, message", [
    ({"amount": "-5"}, "positive amount"),
    ({"amount": "abc"}, "Amount"),
    ({"reason_code": "NOPE"}, "not an active reason"),
    ({"reason_code": "LEAK", "direction": "debit"}, "cannot be used for a debit"),
    ({"memo": "  "}, "Memo"),
])
def test_bad_adjustment_input_is_named_and_changes_nothing(utility, users, kwargs, message):
    args = {"amount": "10.00", "reason_code": "BILLERR", "direction": "credit", "memo": "why"} | kwargs
    with pytest.raises(BillingError, match=message):
        request_adjustment(user=users["specialist"], agreement=utility.electric, **args)
    assert not Adjustment.objects.exists()


def test_limits_are_effective_dated(utility, users):
    from ratepayer.staff.limits import limit_for, set_limit

    sup = users["supervisor"]
    set_limit(user=sup, role="Account specialist", action="adjustment", amount=D("1000.00"),
              effective_from=date(2030, 1, 1), reason="board resolution 2029-14")
    assert limit_for(users["specialist"], "adjustment", date(2029, 12, 31)) == D("250.00")
    assert limit_for(users["specialist"], "adjustment", date(2030, 1, 1)) == D("1000.00")
    with pytest.raises(PermissionRefused):
        set_limit(user=users["senior"], role="Account specialist", action="adjustment", amount=D("5"),
                  effective_from=date(2030, 1, 1))
