"""Held bills (review queue), release, correction and cancel/rebill."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.billing import actions
from ratepayer.billing.errors import BillingError
from ratepayer.billing.models import Bill, BillRun
from ratepayer.ledger import checks
from ratepayer.ledger.models import ARBalance, JournalEntry
from ratepayer.rates.models import RateVersion
from ratepayer.staff import approvals
from ratepayer.staff.errors import ApprovalError, PermissionRefused
from tests.billing.test_billrun import run_cycle


def balance(account) -> Decimal:
    return sum(ARBalance.objects.filter(account=account).values_list("balance", flat=True)) or Decimal("0.00")


def bill_for(account, period_end) -> Bill:
    return Bill.objects.exclude(status="cancelled").get(account=account, period_end=period_end)


def reasons(bill) -> set[str]:
    return {r["code"] for r in bill.hold_reasons}


def test_held_high_bill_is_not_posted_until_released(town, fake_usage, users):
    account = town.accounts[0]
    electric = town.agreements[account.pk]["electric"]
    for month in (2, 3, 4, 5):
        run_cycle(town.cycle, date(2025, month, 14))
    before = balance(account)
    fake_usage[electric.pk] = {"quantity": Decimal("9000")}
    run = run_cycle(town.cycle, date(2025, 6, 14))
    bill = bill_for(account, date(2025, 6, 14))
    assert bill.status == Bill.Status.HELD and reasons(bill) == {"high_bill"}
    assert "above the 12-month average" in bill.hold_reasons[0]["message"]
    assert not JournalEntry.objects.filter(idempotency_key=bill.idempotency_key).exists()
    assert balance(account) == before and run.bills_held == 1 and run.bills_issued == 2

    with pytest.raises(PermissionRefused):
        actions.release_bill(user=users["assistant"], bill=bill)
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.HELD

    actions.release_bill(user=users["specialist"], bill=bill, note="customer confirmed pool heater")
    bill.refresh_from_db()
    assert bill.status == Bill.Status.ISSUED and bill.released_by == users["specialist"]
    assert balance(account) == before + bill.current_charges
    run.refresh_from_db()
    assert (run.bills_held, run.bills_issued) == (0, 3)
    assert checks.run_all()["ok"]
    with pytest.raises(BillingError):
        actions.release_bill(user=users["specialist"], bill=bill)


@pytest.mark.parametrize("case", ["zero_usage", "too_many_estimates", "usage_problem", "rating_error"])
def test_exceptions_are_held_with_their_reason(town, fake_usage, case):
    account = town.accounts[1]
    electric = town.agreements[account.pk]["electric"]
    fake_usage[electric.pk] = {
        "zero_usage": {"quantity": Decimal("0")},
        "too_many_estimates": {"read_type": "estimated", "consecutive_estimates": 4},
        "usage_problem": "no read within 10 days of the scheduled read date",
        # a meter that ran backwards is not billed as a credit: the engine refuses negative usage
        "rating_error": {"quantity": Decimal("-3000")},
    }[case]
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = bill_for(account, date(2025, 2, 14))
    assert bill.status == Bill.Status.HELD and case in reasons(bill)
    assert Bill.objects.filter(status="issued").count() == 2
    if case == "rating_error":
        assert "-3000 is negative" in bill.hold_reasons[0]["message"]
    if case == "usage_problem":
        assert "no read within 10 days" in bill.hold_reasons[0]["message"]
        with pytest.raises(BillingError, match="cannot be released"):
            actions.release_bill(user=town_user(), bill=bill)


def town_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="specialist")


def test_missing_rate_is_held(town, fake_usage):
    RateVersion.objects.filter(schedule__code="RES-W").update(status="draft")
    run_cycle(town.cycle, date(2025, 2, 14))
    assert Bill.objects.filter(status="held").count() == 3
    assert all("missing_rate" in reasons(b) for b in Bill.objects.all())


def test_correcting_a_held_bill_bills_the_period_again(town, fake_usage, users):
    account = town.accounts[1]
    electric = town.agreements[account.pk]["electric"]
    fake_usage[electric.pk] = "meter not read: dog in yard"
    run_cycle(town.cycle, date(2025, 2, 14))
    held = bill_for(account, date(2025, 2, 14))
    fake_usage.clear()  # the reader went back
    new = actions.correct_held_bill(user=users["specialist"], bill=held, note="read taken 2/15")
    held.refresh_from_db()
    assert held.status == "cancelled" and new.status == "issued" and new.corrects == held
    assert balance(account) == new.current_charges
    assert BillRun.objects.get().bills_held == 0


def test_cancel_rebill_reverses_and_issues_a_linked_correction(town, fake_usage, users):
    account = town.accounts[0]
    electric = town.agreements[account.pk]["electric"]
    fake_usage[electric.pk] = {"quantity": Decimal("310")}
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = bill_for(account, date(2025, 2, 14))
    assert bill.current_charges < Decimal("250.00")  # within the specialist's adjustment limit
    fake_usage[electric.pk] = {"quantity": Decimal("130")}  # the read was corrected
    new = actions.cancel_rebill(user=users["specialist"], bill=bill, reason="misread 310 for 130")
    assert isinstance(new, Bill)
    bill.refresh_from_db()
    assert bill.status == "cancelled" and new.corrects == bill and bill.corrected_by == new
    assert new.status == "issued" and new.current_charges < bill.current_charges
    entry = JournalEntry.objects.get(idempotency_key=bill.idempotency_key)
    assert entry.reversed_by is not None
    assert balance(account) == new.current_charges
    assert checks.run_all()["ok"]
    with pytest.raises(BillingError):
        actions.cancel_rebill(user=users["specialist"], bill=bill, reason="again")


def test_cancel_rebill_above_the_limit_waits_for_approval(town, fake_usage, users):
    account = town.accounts[0]
    electric = town.agreements[account.pk]["electric"]
    fake_usage[electric.pk] = {"quantity": Decimal("2600")}
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = bill_for(account, date(2025, 2, 14))
    assert bill.current_charges > Decimal("250.00")  # the specialist's adjustment limit
    before = balance(account)
    request = actions.cancel_rebill(user=users["specialist"], bill=bill, reason="estimated too high")
    assert request.kind == "billing.cancel_rebill"
    bill.refresh_from_db()
    assert bill.status == "issued" and balance(account) == before
    with pytest.raises((ApprovalError, PermissionRefused)):
        approvals.approve(request_id=request.pk, approver=users["specialist"])
    fake_usage[electric.pk] = {"quantity": Decimal("900")}
    approvals.approve(request_id=request.pk, approver=users["senior"])
    bill.refresh_from_db()
    assert bill.status == "cancelled" and bill.corrected_by.status == "issued"
    assert balance(account) == bill.corrected_by.current_charges


def test_cancel_rebill_refused_without_the_capability(town, users):
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = Bill.objects.first()
    with pytest.raises(PermissionRefused):
        actions.cancel_rebill(user=users["auditor"], bill=bill, reason="x")
    bill.refresh_from_db()
    assert bill.status == "issued" and not Bill.objects.filter(corrects=bill).exists()
