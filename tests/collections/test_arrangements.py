"""Payment arrangements: made within the rules, matched to the ledger's payments, broken
on the day after the grace, one at a time per account, and read set-wise for the
disconnect rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratepayer.collections import queries
from ratepayer.collections.actions import arrangements
from ratepayer.collections.errors import ArrangementError
from ratepayer.collections.models import ArrangementEvent, ArrangementInstallment, PaymentArrangement
from ratepayer.staff.models import AuditEvent
from tests.collections.conftest import owe

D = Decimal


@pytest.fixture
def policy(db):
    """The seeded collection policy, its arrangement terms set for a test."""
    from ratepayer.collections.models import CollectionPolicy

    def _set(*, down_payment_percent: str, max_installments: int):
        CollectionPolicy.objects.update(arrangement_down_payment_percent=D(down_payment_percent),
                                        arrangement_max_installments=max_installments)
    return _set


@pytest.fixture(autouse=True)
def _no_down_payment(policy):
    policy(down_payment_percent="0", max_installments=12)


@pytest.fixture
def behind(town):
    """Account 0 owes $300.00 from before it was billed."""
    account = town.accounts[0]
    owe(account, town.agreements[account.pk]["electric"], "300.00")
    return account


def make(users, account, **kw):
    options = {"past_due_amount": "300.00", "installments": 3, "first_due": date(2025, 2, 1),
               "made_on": date(2025, 1, 10), "down_payment": "0.00"}
    options.update(kw)
    return arrangements.create_arrangement(user=users["specialist"], account=account, **options)


def test_the_schedule_splits_the_past_due_amount_exactly_and_monthly(users, behind):
    plan = arrangements.plan_arrangement(account=behind, past_due_amount="100.00", installments=3,
                                         first_due=date(2025, 1, 31), made_on=date(2025, 1, 10), down_payment="0")
    # 100.00 / 3 = 33.333…: the leftover cent goes to the first installment
    assert [(i.due_date, i.amount) for i in plan.installments] == [
        (date(2025, 1, 31), D("33.34")), (date(2025, 2, 28), D("33.33")), (date(2025, 3, 31), D("33.33"))]
    assert PaymentArrangement.objects.count() == 0  # a preview saves nothing


def test_an_arrangement_without_down_payment_is_active_at_once_with_event_and_audit(users, behind):
    arrangement = make(users, behind)
    assert arrangement.status == "active"
    assert list(arrangement.installments.values_list("amount", flat=True)) == [D("100.00")] * 3
    assert list(ArrangementEvent.objects.values_list("from_status", "to_status")) == [("", "active")]
    assert AuditEvent.objects.filter(action="arrangement.created", account_id=behind.pk).count() == 1


@pytest.mark.parametrize(("kw", "field"), [
    ({"past_due_amount": "300.01"}, "past_due_amount"),   # more than the account owes
    ({"installments": 13}, "installments"),               # more than the policy allows
    ({"installments": 0}, "installments"),
    ({"down_payment": "300.00"}, "down_payment"),         # pays it all: no arrangement needed
    ({"first_due": date(2025, 1, 9)}, "first_due"),       # before the day it is made
    ({"kind": "layaway"}, "kind"),
])
def test_refusals_name_the_field_and_change_nothing(users, behind, kw, field):
    with pytest.raises(ArrangementError) as refused:
        make(users, behind, **kw)
    assert refused.value.field == field
    assert PaymentArrangement.objects.count() == 0 and ArrangementInstallment.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="arrangement.").exists()


def test_the_policy_asks_its_down_payment_and_limits_the_installments(users, behind, policy):
    policy(down_payment_percent="25.00", max_installments=6)
    with pytest.raises(ArrangementError, match=r"down payment of 25.00% .* at least \$75.00") as refused:
        make(users, behind, down_payment="74.99")
    assert refused.value.field == "down_payment"
    with pytest.raises(ArrangementError, match="from 1 to 6") as refused:
        make(users, behind, down_payment=None, installments=7)
    arrangement = make(users, behind, down_payment=None, installments=3)  # blank: the policy's share
    assert arrangement.down_payment == D("75.00") and arrangement.status == "proposed"
    assert list(arrangement.installments.values_list("amount", flat=True)) == [D("75.00")] * 3


def test_one_open_arrangement_per_account_unless_a_supervisor_allows_another(users, behind):
    first = make(users, behind, past_due_amount="100.00")
    with pytest.raises(ArrangementError, match="already has an open payment arrangement"):
        make(users, behind, past_due_amount="100.00")
    with pytest.raises(Exception, match="not allowed to allow a second"):
        make(users, behind, past_due_amount="100.00", allow_another=True)
    second = arrangements.create_arrangement(
        user=users["supervisor"], account=behind, past_due_amount="100.00", installments=2,
        first_due=date(2025, 2, 1), made_on=date(2025, 1, 10), allow_another=True)
    assert second.allows_another and second.allowed_by == users["supervisor"]
    assert PaymentArrangement.objects.filter(account=behind, status="active").count() == 2
    assert first.pk != second.pk


def test_an_arrangement_above_the_makers_limit_is_refused(users, town):
    account = town.accounts[1]
    owe(account, town.agreements[account.pk]["water"], "1500.00")
    with pytest.raises(ArrangementError, match="above your arrangement limit of \\$1,000.00"):
        make(users, account, past_due_amount="1500.00")


def test_the_down_payment_activates_a_proposed_arrangement(users, behind, pay):
    arrangement = make(users, behind, down_payment="60.00", installments=3)
    assert arrangement.status == "proposed"
    assert list(arrangement.installments.values_list("amount", flat=True)) == [D("80.00")] * 3
    arrangements.record_payments(on=date(2025, 1, 12))
    arrangement.refresh_from_db()
    assert arrangement.status == "proposed"
    pay(behind, "60.00", date(2025, 1, 13))
    arrangements.record_payments(on=date(2025, 1, 13))
    arrangement.refresh_from_db()
    assert arrangement.status == "active"
    assert AuditEvent.objects.filter(action="arrangement.activated").count() == 1


def test_a_down_payment_never_received_lapses_the_proposed_arrangement(users, behind):
    arrangement = make(users, behind, down_payment="60.00", installments=3, broken_after_days=10)
    arrangements.record_payments(on=date(2025, 2, 11))  # first due Feb 1 + 10 days: still waiting
    arrangement.refresh_from_db()
    assert arrangement.status == "proposed"
    counts = arrangements.record_payments(on=date(2025, 2, 12))
    arrangement.refresh_from_db()
    assert counts["lapsed"] == 1 and arrangement.status == "cancelled"
    assert "down payment of $60.00 was not received" in arrangement.end_reason


def test_an_installment_unpaid_past_the_grace_breaks_it_on_the_next_day(users, behind, pay):
    arrangement = make(users, behind, broken_after_days=10)
    pay(behind, "100.00", date(2025, 1, 30))  # the first installment (due Feb 1)
    # second installment due Mar 1, unpaid; grace 10 days: Mar 11 is the last day of grace
    arrangements.record_payments(on=date(2025, 3, 11))
    arrangement.refresh_from_db()
    assert arrangement.status == "active"
    assert [i.paid_amount for i in arrangement.installments.all()] == [D("100.00"), D("0.00"), D("0.00")]
    arrangements.record_payments(on=date(2025, 3, 12))
    arrangement.refresh_from_db()
    assert arrangement.status == "broken"
    assert arrangement.missed_due_date == date(2025, 3, 1) and arrangement.ended_on == date(2025, 3, 12)
    assert "installment 2 of $100.00 due Mar 01, 2025 was not paid" in arrangement.end_reason
    assert ArrangementEvent.objects.filter(arrangement=arrangement, to_status="broken").count() == 1
    assert AuditEvent.objects.filter(action="arrangement.broken", account_id=behind.pk).count() == 1
    # repeating the day changes nothing
    arrangements.record_payments(on=date(2025, 3, 12))
    assert AuditEvent.objects.filter(action="arrangement.broken").count() == 1
    # a broken arrangement no longer protects
    standing = queries.active_arrangements([behind.pk], date(2025, 3, 12))[behind.pk]
    assert (standing.status, standing.last_missed_on) == ("broken", date(2025, 3, 1))
    before = queries.active_arrangements([behind.pk], date(2025, 3, 11))[behind.pk]
    assert before.status == "kept"


def test_current_bills_come_first_so_paying_only_installments_is_not_keeping_it(users, behind, pay):
    from tests.billing.test_billrun import run_cycle

    arrangement = make(users, behind, first_due=date(2025, 3, 11), broken_after_days=5)
    run = run_cycle(behind.agreements.first().bill_cycle, date(2025, 2, 14))
    bill = behind.bills.get()
    assert bill.due_date == date(2025, 3, 11) and run.bills_issued == 3
    pay(behind, "100.00", date(2025, 2, 27))  # the installment's amount, but the bill is due too
    arrangements.record_payments(on=date(2025, 3, 17))
    arrangement.refresh_from_db()
    first = arrangement.installments.get(sequence=1)
    assert first.paid_amount == max(D("100.00") - bill.current_charges, D("0.00"))
    assert arrangement.status == "broken"


def test_every_installment_paid_keeps_it_and_a_returned_payment_would_have_unpaid_it(users, behind, pay):
    arrangement = make(users, behind, installments=2, past_due_amount="200.00")
    pay(behind, "150.00", date(2025, 1, 20))
    arrangements.record_payments(on=date(2025, 1, 21))
    assert [i.paid_amount for i in arrangement.installments.all()] == [D("100.00"), D("50.00")]
    pay(behind, "50.00", date(2025, 2, 20))
    arrangements.record_payments(on=date(2025, 2, 21))
    arrangement.refresh_from_db()
    assert arrangement.status == "kept"
    assert AuditEvent.objects.filter(action="arrangement.kept").count() == 1
    assert queries.active_arrangements([behind.pk], date(2025, 2, 21)) == {}


def test_cancelling_needs_a_reason_and_goes_through_the_transition_map(users, behind):
    arrangement = make(users, behind)
    with pytest.raises(ArrangementError):
        arrangements.cancel_arrangement(user=users["specialist"], arrangement=arrangement, on=date(2025, 1, 11),
                                        reason=" ")
    arrangements.cancel_arrangement(user=users["specialist"], arrangement=arrangement, on=date(2025, 1, 11),
                                    reason="customer moved to a long-term contract")
    arrangement.refresh_from_db()
    assert arrangement.status == "cancelled"
    with pytest.raises(ArrangementError, match="cancelled and cannot become cancelled"):
        arrangements.cancel_arrangement(user=users["specialist"], arrangement=arrangement, on=date(2025, 1, 12),
                                        reason="again")


def test_active_arrangements_reads_any_number_of_accounts_in_two_queries(users, town):
    for account in town.accounts:
        owe(account, town.agreements[account.pk]["water"], "90.00")
        make(users, account, past_due_amount="90.00")
    ids = [a.pk for a in town.accounts]
    with CaptureQueriesContext(connection) as one:
        queries.active_arrangements(ids[:1], date(2025, 1, 15))
    with CaptureQueriesContext(connection) as many:
        result = queries.active_arrangements(ids, date(2025, 1, 15))
    assert len(one) == len(many) == 2
    assert {s.status for s in result.values()} == {"kept"} and set(result) == set(ids)
    assert all(s.next_due_date == date(2025, 2, 1) and s.next_due_amount == D("30.00") for s in result.values())
    # before the arrangements were made there is nothing to report
    assert queries.active_arrangements(ids, date(2025, 1, 9)) == {}


def test_record_payments_is_a_fixed_number_of_queries(users, town, pay):
    for account in town.accounts:
        owe(account, town.agreements[account.pk]["water"], "90.00")
        make(users, account, past_due_amount="90.00")
        pay(account, "30.00", date(2025, 1, 20))
    with CaptureQueriesContext(connection) as first:
        arrangements.record_payments(on=date(2025, 1, 21), account_ids=[town.accounts[0].pk])
    with CaptureQueriesContext(connection) as all_three:
        arrangements.record_payments(on=date(2025, 1, 21))
    # one account or three: the same reads and one bulk update (the first already updated its own row)
    assert len(all_three) <= len(first) + 1


def test_a_winter_plan_customer_paying_the_ceiling_is_not_in_default(users, town, pay):
    # RCW 54.16.285(1)(e): ceiling = 7 % of monthly income + 1/12 of the arrears
    # = 0.07 × 1,000.00 + 3,300.00 / 12 = 70.00 + 275.00 = 345.00 a month.
    account = town.accounts[2]
    owe(account, town.agreements[account.pk]["electric"], "3300.00")
    plan = arrangements.create_arrangement(
        user=users["supervisor"], account=account, kind="winter", past_due_amount="3300.00",
        monthly_income="1000.00", first_due=date(2026, 2, 10), made_on=date(2026, 1, 20))
    assert plan.required_ceiling == D("345.00") and plan.pay_off_by == date(2026, 10, 15)
    rows = list(plan.installments.all())
    # nine monthly installments Feb 10 … Oct 10 pay it by Oct 15: 3,300 / 9 = 366.67 (agreed, above the ceiling)
    assert len(rows) == 9 and rows[-1].due_date == date(2026, 10, 10)
    assert rows[0].amount == D("366.67") and sum(r.amount for r in rows) == D("3300.00")
    for day in (date(2026, 2, 5), date(2026, 3, 5), date(2026, 4, 5)):
        pay(account, "345.00", day)
    arrangements.record_payments(on=date(2026, 4, 21))  # three installments past their grace
    plan.refresh_from_db()
    assert plan.status == "active"  # 1,035.00 paid = 3 × 345.00: not in default though below 3 × 366.67
    assert queries.active_arrangements([account.pk], date(2026, 4, 21))[account.pk].status == "kept"
    pay(account, "300.00", date(2026, 5, 5))  # less than the ceiling
    arrangements.record_payments(on=date(2026, 5, 21))
    plan.refresh_from_db()
    assert plan.status == "broken"  # 1,335.00 < 4 × 345.00 = 1,380.00


def test_a_heat_plan_keeps_every_payment_within_six_percent_of_income(users, behind):
    # RCW 54.16.285(7): at most 6 % of monthly income: 0.06 × 1,500.00 = 90.00; past due 300.00 by May 15
    plan = arrangements.create_arrangement(
        user=users["specialist"], account=behind, kind="heat", past_due_amount="300.00",
        monthly_income="1500.00", first_due=date(2025, 7, 1), made_on=date(2025, 6, 20))
    amounts = list(plan.installments.values_list("amount", flat=True))
    assert plan.required_ceiling == D("90.00") and plan.pay_off_by == date(2026, 5, 15)
    assert sum(amounts) == D("300.00") and max(amounts) <= D("90.00")


def test_the_check_command_breaks_a_missed_arrangement_once(users, behind):
    import json
    from io import StringIO

    from django.core.management import call_command

    make(users, behind, broken_after_days=0)
    out = StringIO()
    call_command("arrangements", "check", "--date", "2025-02-02", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["broken"] == 1
    out = StringIO()
    call_command("arrangements", "check", "--date", "2025-02-02", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["broken"] == 0
