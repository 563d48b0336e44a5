"""Closed accounts that still owe: deposit, transfer, agency, write-off, recovery, liens.

Each action: the postings it makes (balanced, through the seeded rules), the
ledger check after it, and its refusals changing nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.collections.actions import writeoffs as wo
from ratepayer.collections.models import (
    AgencyAssignment,
    AgencyFile,
    AgencyRemittance,
    BalanceTransfer,
    LienCertification,
    Recovery,
    WriteOff,
)
from ratepayer.customers.models import Account, Premise
from ratepayer.formats.agency_referral import read_referral_file
from ratepayer.ledger.models import JournalEntry
from ratepayer.payments import actions as pay
from ratepayer.staff import approvals
from ratepayer.staff.errors import ApprovalError, PermissionRefused
from ratepayer.staff.models import ApprovalRequest, AuditEvent
from tests.collections.writeoff_helpers import close, closed_owing, gl
from tests.payments.conftest import assert_ledger_ok, balance
from tests.payments.helpers import second_account

D = Decimal
ON = date(2025, 4, 1)


def snapshot():
    return (JournalEntry.objects.count(), WriteOff.objects.count(), AgencyAssignment.objects.count(),
            BalanceTransfer.objects.count(), LienCertification.objects.count(), Recovery.objects.count(),
            AgencyFile.objects.count(), AgencyRemittance.objects.count())


@pytest.fixture
def drawer(users):
    return pay.open_drawer(user=users["assistant"], business_date=date(2025, 3, 3), opening_float="100.00")


@pytest.fixture
def agency(users):
    return wo.save_agency(user=users["supervisor"], code="NWC", name="Northwest Credit Services",
                          fee_percent="30.00", license_number="CAG-1234")


# --------------------------------------------------------------------------- write-off


def test_a_write_off_within_the_limit_posts_dr_144_cr_142_per_agreement(users, utility):
    account = closed_owing(utility, electric="60.00", water="20.00")  # 80.00 ≤ specialist's 100.00
    w = wo.request_write_off(user=users["specialist"], account=account, reason="small_balance",
                             memo="moved out of state, letters returned", on=ON)
    assert w.status == "posted" and w.amount == D("80.00")
    assert {(line.agreement_id, line.amount) for line in w.lines.all()} == {
        (utility.electric.pk, D("60.00")), (utility.water.pk, D("20.00"))}
    assert balance(utility.electric) == balance(utility.water) == D("0.00")
    assert gl("144") == D("80.00") and gl("142") == D("0.00")
    assert AuditEvent.objects.filter(action="write_off.posted").count() == 1
    assert_ledger_ok()


def test_above_the_limit_it_waits_and_only_another_person_within_their_limit_approves(users, utility):
    account = closed_owing(utility)  # 150.00 > specialist's 100.00
    w = wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="agency gave up",
                             on=ON)
    assert w.status == "pending" and w.journal_entry_id is None
    request = ApprovalRequest.objects.get(pk=w.approval_request_id)
    assert request.kind == wo.WRITE_OFF_KIND and request.amount == D("150.00")
    assert balance(utility.electric) == D("120.00")
    before = snapshot()
    with pytest.raises(PermissionRefused):  # a specialist may not decide
        approvals.approve(request_id=request.pk, approver=users["specialist2"])
    assert snapshot() == before
    approvals.approve(request_id=request.pk, approver=users["senior"])  # 150 ≤ senior's 500
    w.refresh_from_db()
    assert w.status == "posted" and w.decided_by == users["senior"]
    assert gl("144") == D("150.00")
    assert_ledger_ok()


def test_a_write_off_above_the_approvers_own_limit_is_refused(users, utility):
    from ratepayer.customers.models import ServiceAgreement  # noqa: F401 (the split is per agreement)

    account = closed_owing(utility, electric="900.00", water="0")  # > senior's 500
    w = wo.request_write_off(user=users["specialist"], account=account, reason="bankruptcy", memo="ch. 7 discharge",
                             on=ON)
    with pytest.raises(ApprovalError, match="limit"):
        approvals.approve(request_id=w.approval_request_id, approver=users["senior"])
    approvals.approve(request_id=w.approval_request_id, approver=users["supervisor"])
    assert WriteOff.objects.get(pk=w.pk).status == "posted"


def test_the_maker_cannot_approve_their_own_write_off(users, utility):
    account = closed_owing(utility, electric="600.00", water="0")  # > senior's 500
    w = wo.request_write_off(user=users["senior"], account=account, reason="deceased", memo="no estate", on=ON)
    before = snapshot()
    with pytest.raises(ApprovalError, match="own work"):
        approvals.approve(request_id=w.approval_request_id, approver=users["senior"])
    assert snapshot() == before and WriteOff.objects.get(pk=w.pk).status == "pending"


def test_rejecting_a_write_off_posts_nothing(users, utility):
    account = closed_owing(utility)
    w = wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x", on=ON)
    approvals.reject(request_id=w.approval_request_id, approver=users["senior"], note="send it to the agency first")
    w.refresh_from_db()
    assert w.status == "rejected" and gl("144") == D("0.00")
    assert balance(utility.electric) == D("120.00")


def test_write_off_refusals_change_nothing(users, utility):
    before = snapshot()
    with pytest.raises(wo.WriteOffError, match="still active"):
        wo.request_write_off(user=users["specialist"], account=utility.account, reason="uncollectible", memo="x")
    account = closed_owing(utility)
    with pytest.raises(PermissionRefused):
        wo.request_write_off(user=users["assistant"], account=account, reason="uncollectible", memo="x")
    with pytest.raises(wo.WriteOffError, match="Reason"):
        wo.request_write_off(user=users["specialist"], account=account, reason="because", memo="x")
    with pytest.raises(wo.WriteOffError, match="Memo"):
        wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo=" ")
    after_charges = snapshot()
    assert after_charges[1:] == before[1:]
    wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x", on=ON)
    mid = snapshot()
    with pytest.raises(wo.WriteOffError, match="already has a write-off waiting"):
        wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x", on=ON)
    assert snapshot() == mid


def test_a_balance_that_changed_before_approval_is_refused_at_approval(users, utility, drawer):
    account = closed_owing(utility)
    w = wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x", on=ON)
    pay.take_payment(user=users["assistant"], session=drawer, account=account, tender="cash", amount="50.00",
                     tendered="50.00", token="late-pay")
    before = snapshot()
    with pytest.raises(wo.WriteOffError, match="changed since it was requested"):
        approvals.approve(request_id=w.approval_request_id, approver=users["senior"])
    assert snapshot() == before and WriteOff.objects.get(pk=w.pk).status == "pending"


# --------------------------------------------------------------------------- recovery


def test_a_later_payment_on_a_written_off_account_credits_144(users, utility, drawer):
    account = closed_owing(utility, electric="60.00", water="20.00")
    w = wo.request_write_off(user=users["specialist"], account=account, reason="small_balance", memo="x", on=ON)
    cash_before = gl("131.1")
    pay.take_payment(user=users["assistant"], session=drawer, account=account, tender="cash", amount="30.00",
                     tendered="30.00", token="recover-1")
    recovery = Recovery.objects.get()
    assert recovery.amount == D("30.00") and recovery.write_off == w and recovery.payment_id
    assert gl("144") == D("50.00")  # 80 written off, 30 recovered
    assert gl("131.1") - cash_before == D("30.00")
    assert sum(balance(a) for a in (utility.electric, utility.water)) == D("0.00")  # no credit balance left behind
    assert WriteOff.objects.get(pk=w.pk).recovered == D("30.00")
    assert_ledger_ok()
    # paying more than was written off leaves the rest as a credit balance
    pay.take_payment(user=users["assistant"], session=drawer, account=account, tender="cash", amount="70.00",
                     tendered="70.00", token="recover-2")
    assert WriteOff.objects.get(pk=w.pk).recovered == D("80.00")
    assert gl("144") == D("0.00")
    assert sum(balance(a) for a in (utility.electric, utility.water)) == D("-20.00")
    assert_ledger_ok()


def test_payments_on_accounts_never_written_off_are_untouched(users, utility, drawer):
    account = closed_owing(utility)
    pay.take_payment(user=users["assistant"], session=drawer, account=account, tender="cash", amount="10.00",
                     tendered="10.00", token="plain")
    assert not Recovery.objects.exists() and gl("144") == D("0.00")


# --------------------------------------------------------------------------- deposit and transfer


def test_the_held_deposit_is_applied_to_the_final_bill_with_payments_code(users, utility, drawer):
    deposit = pay.require_deposit(user=users["specialist"], account=utility.account, amount="100.00",
                                  reason="no credit history", required_on=date(2024, 1, 2), due_on=date(2024, 1, 16))
    pay.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="cash", amount="100.00",
                        token="dep")
    account = closed_owing(utility)
    release = wo.apply_deposit(user=users["specialist"], account=account, on=ON)
    assert release.applied == D("100.00")
    assert sum(balance(a) for a in (utility.electric, utility.water)) == D("50.00")
    assert_ledger_ok()
    with pytest.raises(wo.WriteOffError, match="no security deposit"):
        wo.apply_deposit(user=users["specialist"], account=account, on=ON)


def test_balance_moves_to_the_same_customers_active_account(users, utility):
    from ratepayer.customers import actions as customer_actions

    account = closed_owing(utility)
    other = customer_actions.open_account(user=users["specialist"], customer=utility.customer,
                                          mailing_line1="77 Oak Ave", mailing_city="Everett", mailing_zip="98203",
                                          opened_on=date(2025, 2, 1))
    premise = customer_actions.create_premise(user=users["specialist"], line1="77 Oak Ave", city="Everett",
                                              zip="98203", services=["water"])
    new_water = customer_actions.start_service(
        user=users["specialist"], account=other, service_point=premise.service_points.get(),
        rate_schedule=utility.water.rate_schedule, customer_class="residential", bill_cycle=utility.cycle,
        start_date=date(2025, 2, 1))
    stranger, _ = second_account(users["specialist"], utility)
    before = snapshot()
    with pytest.raises(wo.WriteOffError, match="same customer"):
        wo.transfer_balance(user=users["specialist"], from_account=account, to_account=stranger, reason="moved")
    with pytest.raises(wo.WriteOffError, match="Reason"):
        wo.transfer_balance(user=users["specialist"], from_account=account, to_account=other, reason="")
    with pytest.raises(PermissionRefused):
        wo.transfer_balance(user=users["assistant"], from_account=account, to_account=other, reason="moved")
    assert snapshot() == before
    t = wo.transfer_balance(user=users["specialist"], from_account=account, to_account=other, reason="moved", on=ON)
    assert t.amount == D("150.00") and t.to_agreement == new_water
    assert balance(new_water) == D("150.00")
    assert balance(utility.electric) == balance(utility.water) == D("0.00")
    assert_ledger_ok()
    with pytest.raises(wo.WriteOffError, match="owes nothing"):
        wo.transfer_balance(user=users["specialist"], from_account=account, to_account=other, reason="again")


# --------------------------------------------------------------------------- agencies


def test_fee_limit_follows_rcw_19_16_500():
    assert wo.statutory_fee_limit(D("60.00")) == D("60.00")  # the whole debt up to $100
    assert wo.statutory_fee_limit(D("150.00")) == D("100.00")  # $100 minimum beats 50 % (75)
    assert wo.statutory_fee_limit(D("1000.00")) == D("500.00")
    assert wo.statutory_fee_limit(D("200000.00")) == D("85000.00")  # 50 000 + 35 % of 100 000


def test_agency_fee_above_the_statute_is_refused(users):
    with pytest.raises(wo.WriteOffError, match="RCW 19.16.500"):
        wo.save_agency(user=users["supervisor"], code="GRD", name="Greedy", fee_percent="55")
    with pytest.raises(PermissionRefused):
        wo.save_agency(user=users["specialist"], code="OK", name="Fine", fee_percent="25")


def test_assignment_waits_30_days_after_the_advice_notice(users, utility, agency):
    account = closed_owing(utility)
    before = snapshot()
    with pytest.raises(wo.WriteOffError, match=r"RCW 19.16.500.*on or after 2025-04-01"):
        wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 2),
                            on=date(2025, 3, 31))  # day 29
    assert snapshot() == before
    a = wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 2),
                            on=date(2025, 4, 1))  # day 30
    assert a.amount_assigned == D("150.00") and a.fee_limit == D("100.00")
    with pytest.raises(wo.WriteOffError, match="already at an agency"):
        wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 2),
                            on=ON)
    with pytest.raises(wo.WriteOffError, match="at a collection agency"):
        wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x")


def test_agency_file_holds_each_assignment_once_and_reads_back(users, utility, agency):
    account = closed_owing(utility)
    a = wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 1),
                            on=ON)
    f = wo.write_agency_file(user=users["specialist"], agency=agency, on=ON)
    rows = read_referral_file(f.content)
    assert [(r.utility_reference, r.account_number, r.amount_assigned, r.phone) for r in rows] == [
        (f"A{a.pk}", account.number, D("150.00"), "(425) 555-0142")]
    assert f.content.rstrip().endswith("T,1,150.00")
    with pytest.raises(wo.WriteOffError, match="No new assignments"):
        wo.write_agency_file(user=users["specialist"], agency=agency, on=ON)
    assert AgencyFile.objects.count() == 1


def test_remittance_posts_net_cash_and_the_fee_and_is_idempotent_by_reference(users, utility, agency):
    account = closed_owing(utility)
    a = wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 1),
                            on=ON)
    cash, expense = gl("131.1"), gl("903")
    r = wo.record_remittance(user=users["specialist"], assignment=a, reference="R-1", gross="100.00",
                             received_on=date(2025, 5, 1))
    assert (r.gross, r.fee, r.net) == (D("100.00"), D("30.00"), D("70.00"))
    assert gl("131.1") - cash == D("70.00") and gl("903") - expense == D("30.00")
    assert sum(balance(x) for x in (utility.electric, utility.water)) == D("50.00")
    assert wo.record_remittance(user=users["specialist"], assignment=a, reference="R-1", gross="100.00") == r
    with pytest.raises(wo.WriteOffError, match="recorded already"):
        wo.record_remittance(user=users["specialist"], assignment=a, reference="R-1", gross="90.00")
    with pytest.raises(wo.WriteOffError, match="more than"):
        wo.record_remittance(user=users["specialist"], assignment=a, reference="R-2", gross="60.00")
    r2 = wo.record_remittance(user=users["specialist"], assignment=a, reference="R-2", gross="50.00")
    assert r2.fee == D("15.00")
    a.refresh_from_db()
    assert a.status == "paid" and a.fees == D("45.00") <= a.fee_limit
    assert_ledger_ok()


def test_after_return_from_the_agency_the_account_can_be_written_off(users, utility, agency):
    account = closed_owing(utility, electric="50.00", water="0")
    a = wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 1),
                            on=ON)
    wo.close_assignment(user=users["specialist"], assignment=a, outcome="returned", reason="no assets found")
    with pytest.raises(wo.WriteOffError):
        wo.close_assignment(user=users["specialist"], assignment=a, outcome="recalled", reason="again")
    w = wo.request_write_off(user=users["specialist"], account=account, reason="agency_returned", memo="NWC returned",
                             on=ON)
    assert w.status == "posted"
    assert_ledger_ok()


# --------------------------------------------------------------------------- liens


@pytest.fixture
def water_only(users, utility):
    return closed_owing(utility, electric="0", water="200.00")


def test_lien_interest_within_prime_plus_four(users, utility, water_only):
    premise = utility.premise
    before = snapshot()
    with pytest.raises(wo.WriteOffError, match=r"RCW 57.08.081\(3\)"):
        wo.certify_lien(user=users["specialist"], account=water_only, premise=premise,
                        delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="11.51", on=ON)
    with pytest.raises(wo.WriteOffError, match="10 %"):
        wo.certify_lien(user=users["specialist"], account=water_only, premise=premise, penalties="20.00",
                        delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="8", on=ON)
    assert snapshot() == before
    lien = wo.certify_lien(user=users["specialist"], account=water_only, premise=premise, penalties="18.00",
                           delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="11.50", on=ON)
    # 200.00 × 11.5 % × 60/365 = 3.78
    assert (lien.charges, lien.penalties, lien.interest) == (D("182.00"), D("18.00"), D("3.78"))
    assert lien.parcel_number == "00437500001200"
    assert balance(utility.water) == D("203.78") and gl("419") == D("-3.78")
    assert_ledger_ok()
    with pytest.raises(wo.WriteOffError, match="certified already"):
        wo.certify_lien(user=users["specialist"], account=water_only, premise=premise,
                        delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="8", on=ON)
    wo.release_lien(user=users["specialist"], lien=lien, reason="paid at escrow", on=date(2025, 5, 1))
    with pytest.raises(wo.WriteOffError):
        wo.release_lien(user=users["specialist"], lien=lien, reason="again", on=date(2025, 5, 2))
    assert LienCertification.objects.get(pk=lien.pk).status == "released"


def test_a_tenants_lien_is_refused_when_the_landlord_was_not_copied(users, utility, water_only, monkeypatch):
    monkeypatch.setattr(wo, "landlord_copy_missing",
                        lambda **kw: "owner Pat Owner registered 2024-06-01; the notice of 2025-02-15 was not copied")
    before = snapshot()
    with pytest.raises(wo.WriteOffError, match=r"RCW 57.08.081\(7\).*Pat Owner"):
        wo.certify_lien(user=users["specialist"], account=water_only, premise=utility.premise, tenant_delinquency=True,
                        delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="8", on=ON)
    assert snapshot() == before
    # the owner's own delinquency is not a tenant's: the copy rule does not apply
    wo.certify_lien(user=users["specialist"], account=water_only, premise=utility.premise,
                    delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="8", on=ON)


def test_a_lien_needs_water_or_sewer_charges_and_a_parcel(users, utility):
    account = closed_owing(utility, electric="80.00", water="0")
    with pytest.raises(wo.WriteOffError, match="no water or sewer"):
        wo.certify_lien(user=users["specialist"], account=account, premise=utility.premise,
                        delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="8", on=ON)
    Premise.objects.filter(pk=utility.premise.pk).update(parcel_number="")
    utility.premise.refresh_from_db()
    with pytest.raises(wo.WriteOffError, match="parcel"):
        wo.certify_lien(user=users["specialist"], account=account, premise=utility.premise,
                        delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="8", on=ON)
    assert Account.objects.get(pk=account.pk).status == "closed"
    close(account)


def test_a_registered_landlord_not_copied_refuses_the_tenants_lien(users, utility, water_only):
    from ratepayer.collections.models import Notice, RegisteredLandlord

    RegisteredLandlord.objects.create(premise=utility.premise, owner_name="Pat Owner",
                                      request_received_on=date(2024, 6, 1), mailing_line1="1 Owner Way",
                                      mailing_city="Everett", mailing_zip="98201", created_by=users["specialist"])
    notice = Notice.objects.create(account=water_only, kind="final", delinquency_due_on=date(2025, 2, 1),
                                   amount_past_due=D("200.00"), amount_total=D("200.00"),
                                   served_on=date(2025, 2, 15), landlord_copy=False)
    lien = dict(user=users["specialist"], account=water_only, premise=utility.premise, tenant_delinquency=True,
                delinquent_since=date(2025, 1, 31), prime_rate="7.50", interest_rate="8", on=ON)
    before = snapshot()
    with pytest.raises(wo.WriteOffError, match=r"RCW 57.08.081\(7\).*Pat Owner.*2025-02-15"):
        wo.certify_lien(**lien)
    assert snapshot() == before
    Notice.objects.filter(pk=notice.pk).update(landlord_copy=True)
    assert wo.certify_lien(**lien).tenant_delinquency


def test_the_agency_warning_notice_on_record_is_the_advice_and_referrals_become_referred(users, utility, agency):
    from ratepayer.collections.models import AgencyReferral, Notice

    account = closed_owing(utility)
    with pytest.raises(wo.WriteOffError, match="no agency-warning notice"):
        wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, on=ON)
    warning = Notice.objects.create(account=account, kind="agency_warning", delinquency_due_on=date(2025, 1, 20),
                                    amount_past_due=D("150.00"), amount_total=D("150.00"),
                                    served_on=date(2025, 3, 2))
    referral = AgencyReferral.objects.create(account=account, balance=D("150.00"),
                                             delinquency_due_on=date(2025, 1, 20), warning=warning,
                                             found_on=date(2025, 4, 1))
    a = wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, on=ON)
    assert a.advised_on == date(2025, 3, 2)
    referral.refresh_from_db()
    assert referral.status == "referred"


def test_ledger_check_command_passes_after_each_action_of_the_path(users, utility, drawer, agency):
    """deposit → transfer (refused: no other account) → agency → remittance → return → write-off → recovery,
    with ``ratepayer ledger check`` after each money step."""
    from django.core.management import call_command

    def ledger_check():
        call_command("ledger", "check")  # exits 1 (SystemExit) when any check fails

    deposit = pay.require_deposit(user=users["specialist"], account=utility.account, amount="50.00",
                                  reason="no credit history", required_on=date(2024, 1, 2), due_on=date(2024, 1, 16))
    pay.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="cash", amount="50.00",
                        token="dep-path")
    account = closed_owing(utility, electric="300.00", water="50.00")
    wo.apply_deposit(user=users["specialist"], account=account, on=ON)
    ledger_check()
    a = wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 1),
                            on=ON)
    assert a.amount_assigned == D("300.00")
    wo.record_remittance(user=users["specialist"], assignment=a, reference="P-1", gross="40.00",
                         received_on=date(2025, 5, 1))
    ledger_check()
    wo.close_assignment(user=users["specialist"], assignment=a, outcome="returned", reason="no assets")
    w = wo.request_write_off(user=users["specialist"], account=account, reason="agency_returned", memo="returned",
                             on=date(2025, 6, 1))
    approvals.approve(request_id=w.approval_request_id, approver=users["senior"])
    ledger_check()
    assert gl("144") == D("260.00")
    pay.take_payment(user=users["assistant"], session=drawer, account=account, tender="cash", amount="25.00",
                     tendered="25.00", token="late")
    ledger_check()
    assert gl("144") == D("235.00") and Recovery.objects.get().amount == D("25.00")


def test_lien_rates_default_to_the_water_policy_and_small_balances_skip_the_agency(users, utility, water_only):
    from ratepayer.collections.queries import writeoffs as writeoff_queries

    assert wo.lien_rates(ON) == (D("7.50"), D("11.50"))  # the water-sewer district's starting policy
    lien = wo.certify_lien(user=users["specialist"], account=water_only, premise=utility.premise,
                           delinquent_since=date(2025, 1, 31), on=ON)
    assert (lien.prime_rate, lien.interest_rate) == (D("7.50"), D("11.50"))
    assert writeoff_queries.agency_threshold(ON) == D("50.00")
    assert writeoff_queries._step(pending=False, at_agency=False, final_billed=True, deposit=False,
                                  other_active=False, ever_assigned=False, owed=D("49.99"),
                                  threshold=D("50.00")) == "write_off"
    assert writeoff_queries._step(pending=False, at_agency=False, final_billed=True, deposit=False,
                                  other_active=False, ever_assigned=False, owed=D("50.00"),
                                  threshold=D("50.00")) == "agency"


def test_a_returned_payment_reverses_its_recovery(users, utility, drawer):
    account = closed_owing(utility, electric="60.00", water="20.00")
    w = wo.request_write_off(user=users["specialist"], account=account, reason="small_balance", memo="x", on=ON)
    payment = pay.take_payment(user=users["assistant"], session=drawer, account=account, tender="check",
                               amount="30.00", check_number="77", check_routing="021000021", payer_name="Jane Doe",
                               token="bounce")
    assert gl("144") == D("50.00")
    pay.return_payment(user=users["specialist"], payment=payment, reason="insufficient funds", return_code="R01",
                       received_on=date(2025, 3, 10))
    recovery = Recovery.objects.get()
    assert recovery.reversal_entry_id is not None
    assert WriteOff.objects.get(pk=w.pk).recovered == D("0.00")
    assert gl("144") == D("80.00")  # written off again
    assert AuditEvent.objects.filter(action="write_off.recovery_reversed").count() == 1
    assert_ledger_ok()
