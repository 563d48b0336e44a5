"""ACH autopay: enrollment, the NACHA debit file, settlement, returns, NOCs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from ratepayer.formats import nacha
from ratepayer.ledger.models import JournalEntry
from ratepayer.outbox import actions as outbox
from ratepayer.payments import actions
from ratepayer.payments.errors import ImportRefused, PaymentError
from ratepayer.payments.models import (
    AchEntry,
    AutopayChange,
    AutopayEnrollment,
    Deposit,
    Payment,
    ReturnedPayment,
)
from tests.payments.conftest import assert_ledger_ok, balance, charge
from tests.payments.helpers import return_file

D = Decimal


def enroll(users, account, prenote=False, number="123456789", routing="021000021"):
    return actions.enroll_autopay(user=users["specialist"], account=account, holder_name="DOE JANE",
                                  routing_number=routing, bank_account_number=number, account_type="checking",
                                  draft_day=10, start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 20),
                                  authorization="signed autopay form scanned 2025-02-20", prenote=prenote)


@pytest.fixture
def enrolled(users, utility):
    charge(utility.water, "50.00", date(2025, 1, 15))
    charge(utility.electric, "100.00", date(2025, 2, 1))
    return utility, enroll(users, utility.account)


def test_enrollment_validates_encrypts_and_masks(users, utility):
    with pytest.raises(PaymentError, match="ABA check digit"):
        enroll(users, utility.account, routing="021000022")
    with pytest.raises(PaymentError, match="Authorization"):
        actions.enroll_autopay(user=users["specialist"], account=utility.account, holder_name="DOE JANE",
                               routing_number="021000021", bank_account_number="123456789", account_type="checking",
                               draft_day=10, start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 20),
                               authorization=" ")
    enrollment = enroll(users, utility.account)
    assert enrollment.masked_account.endswith("6789") and "12345" not in enrollment.masked_account
    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_account_number FROM payments_autopayenrollment WHERE id = %s", [enrollment.pk])
        stored = cursor.fetchone()[0]
    assert "123456789" not in stored
    assert AutopayEnrollment.objects.get().bank_account_number == "123456789"
    with pytest.raises(PaymentError, match="already enrolled"):
        enroll(users, utility.account)


def test_debit_file_on_the_due_date_then_payment_on_settlement(users, enrolled):
    u, enrollment = enrolled
    result = actions.run_autopay(on=date(2025, 3, 7), user=users["specialist"])  # Friday: due Monday the 10th
    assert result["debits"] == 1 and result["total"] == "150.00" and result["settled"] == 0
    entry = AchEntry.objects.get()
    assert (entry.amount, entry.due_on, entry.settlement_date) == (D("150.00"), date(2025, 3, 10), date(2025, 3, 10))
    text = entry.file.content
    assert all(len(line) == 94 for line in text.splitlines()) and len(text.splitlines()) % 10 == 0
    parsed = nacha.parse(text)
    assert parsed.report.ok, parsed.report.lines()
    (sent,) = parsed.entries
    assert (sent.transaction_code, sent.amount, sent.trace_number, sent.routing) == (
        27, D("150.00"), entry.trace_number, "021000021")
    assert parsed.batches[0].header.effective_entry_date == "250310"
    assert actions.run_autopay(on=date(2025, 3, 7))["file"] is None  # nobody is debited twice
    assert not Payment.objects.exists()
    settled = actions.run_autopay(on=date(2025, 3, 10))
    assert settled["settled"] == 1
    payment = Payment.objects.get()
    assert (payment.tender, payment.received_on, payment.external_reference) == (
        "ach", date(2025, 3, 10), f"ach:{entry.trace_number}")
    assert Deposit.objects.get().kind == "ach"
    assert balance(u.electric) == D("0.00") and balance(u.water) == D("0.00")
    assert actions.run_autopay(on=date(2025, 3, 11))["settled"] == 0
    assert_ledger_ok()


def test_a_second_file_continues_the_trace_sequence(users, enrolled):
    from ratepayer.payments.actions.autopay import originator

    actions.run_autopay(on=date(2025, 3, 7))
    first = AchEntry.objects.get().trace_number
    charge(enrolled[0].electric, "80.00", date(2025, 3, 20))
    actions.run_autopay(on=date(2025, 4, 9))
    second = AchEntry.objects.exclude(trace_number=first).get().trace_number
    assert first == originator()["odfi"] + "0000001" and second == originator()["odfi"] + "0000002"


def settled_payment(users, u):
    actions.run_autopay(on=date(2025, 3, 7))
    actions.run_autopay(on=date(2025, 3, 10))
    return Payment.objects.get(), AchEntry.objects.get()


def test_a_returned_ach_payment_reverses_exactly_the_original_and_reages_what_it_paid(users, enrolled):
    u, enrollment = enrolled
    before = (balance(u.electric), balance(u.water))
    payment, entry = settled_payment(users, u)
    applied = {a.agreement_id: a.amount for a in payment.applications.all()}
    assert applied == {u.water.pk: D("50.00"), u.electric.pk: D("100.00")}
    content = return_file([(entry.trace_number, "R01", "021000021", "123456789", "150.00")])
    assert nacha.parse(content).report.ok, nacha.parse(content).report.lines()
    imported = actions.import_ach_returns(user=users["specialist"], content=content, name="returns0312.ach")
    assert imported.summary == {"returns": 1}
    payment.refresh_from_db()
    reversal = payment.reversal_entry
    assert payment.status == "reversed" and reversal.reverses_id == payment.journal_entry_id
    mirrored = {(line.gl_account.number, line.agreement_id, line.debit, line.credit)
                for line in reversal.lines.select_related("gl_account")}
    original = {(line.gl_account.number, line.agreement_id, line.credit, line.debit)
                for line in payment.journal_entry.lines.select_related("gl_account")}
    assert mirrored == original
    fee = ReturnedPayment.objects.get().fee_entry
    assert fee.event == "returned_payment_fee" and sum(x.debit for x in fee.lines.all()) == D("25.00")
    # what the payment paid is owed again, from the same charges; the fee goes on the first agreement paid
    assert (balance(u.electric), balance(u.water)) == (before[0], before[1] + D("25.00"))
    assert AutopayEnrollment.objects.get().status == "active"  # R01 does not stop autopay
    assert outbox.deliver_due() == {"sent": 1}  # written with the return, sent by a worker after commit
    assert mail.outbox and "returned" in mail.outbox[-1].subject
    assert_ledger_ok()
    state = JournalEntry.objects.count()
    with pytest.raises(ImportRefused, match="already imported"):
        actions.import_ach_returns(user=users["specialist"], content=content, name="again.ach")
    with pytest.raises(ImportRefused, match="already returned"):
        actions.import_ach_returns(user=users["specialist"], content=content.replace(b"0900A", b"0901A"),
                                   name="resent.ach")
    assert JournalEntry.objects.count() == state


def test_closed_account_return_stops_autopay(users, enrolled):
    u, enrollment = enrolled
    payment, entry = settled_payment(users, u)
    actions.import_ach_returns(user=users["specialist"], name="r02.ach",
                               content=return_file([(entry.trace_number, "R02", "021000021", "123456789", "150.00")]))
    enrollment.refresh_from_db()
    assert enrollment.status == "stopped" and "R02" in enrollment.stopped_reason
    assert ReturnedPayment.objects.get().autopay_stopped


def test_unknown_trace_goes_to_the_returned_queue(users, enrolled):
    actions.import_ach_returns(user=users["specialist"], name="r.ach",
                               content=return_file([("125000020999999", "R01", "021000021", "1", "9.00")]))
    returned = ReturnedPayment.objects.get()
    assert returned.status == "unmatched" and returned.amount == D("9.00")


def test_prenote_then_live(users, utility):
    charge(utility.electric, "40.00", date(2025, 2, 1))
    enrollment = enroll(users, utility.account, prenote=True)
    result = actions.run_autopay(on=date(2025, 3, 3))
    assert (result["prenotes"], result["debits"]) == (1, 0)
    prenote = AchEntry.objects.get()
    assert prenote.is_prenote and prenote.amount == 0
    assert nacha.parse(prenote.file.content).entries[0].transaction_code == 28
    enrollment.refresh_from_db()
    assert enrollment.live_from == date(2025, 3, 7)  # 3 banking days after the prenote settles (Tue 4th)
    actions.run_autopay(on=date(2025, 3, 7))
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    assert AchEntry.objects.filter(is_prenote=False).get().amount == D("40.00")


def test_notification_of_change_updates_the_enrollment(users, enrolled):
    u, enrollment = enrolled
    actions.run_autopay(on=date(2025, 3, 7))
    entry = AchEntry.objects.get()
    content = return_file([(entry.trace_number, "C01", "021000021", "123456789", "0", "99887766")], noc=True)
    assert nacha.parse(content).report.ok, nacha.parse(content).report.lines()
    actions.import_ach_returns(user=users["specialist"], content=content, name="noc.ach")
    enrollment.refresh_from_db()
    assert enrollment.bank_account_number == "99887766" and enrollment.bank_account_last4 == "7766"
    change = AutopayChange.objects.get()
    assert change.before == {"bank_account_number": "••••6789"} and change.after == {
        "bank_account_number": "••••7766"}
    bad = return_file([(entry.trace_number, "C02", "021000021", "123456789", "0", "021000022")], noc=True)
    with pytest.raises(ImportRefused, match="ABA check digit"):
        actions.import_ach_returns(user=users["specialist"], content=bad, name="noc2.ach")
    enrollment.refresh_from_db()
    assert enrollment.routing_number == "021000021"


def test_an_issued_bill_sets_the_due_date_and_the_amount(users, utility):
    from ratepayer.billing.models import Bill

    charge(utility.electric, "150.00", date(2025, 2, 1))
    actions.enroll_autopay(user=users["specialist"], account=utility.account, holder_name="DOE JANE",
                           routing_number="021000021", bank_account_number="123456789", account_type="checking",
                           draft_day=20, start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 20),
                           authorization="signed form", prenote=False)
    Bill.objects.create(account=utility.account, period_start=date(2025, 1, 5), period_end=date(2025, 2, 5),
                        bill_date=date(2025, 2, 7), due_date=date(2025, 3, 10), status="issued",
                        current_charges=D("120.00"), amount_due=D("120.00"))
    # the bill is due Monday the 10th: Friday's run sends it, whatever the enrollment's draft day
    result = actions.run_autopay(on=date(2025, 3, 7))
    assert result["debits"] == 1
    entry = AchEntry.objects.get()
    assert (entry.amount, entry.due_on) == (D("120.00"), date(2025, 3, 10))
    # a billed account is not drafted again on its draft day
    assert actions.run_autopay(on=date(2025, 3, 19))["debits"] == 0


def many_enrolled(users, utility, n: int, prenotes: int) -> None:
    """n accounts with a $60 charge, enrolled (the first ``prenotes`` waiting for their prenote)."""
    from ratepayer.customers.actions import account_number_for
    from ratepayer.customers.models import Account, Customer, Premise, ServiceAgreement, ServicePoint

    customers = Customer.objects.bulk_create([Customer(name=f"Payer {i}") for i in range(n)])
    accounts = Account.objects.bulk_create(
        [Account(number=account_number_for(7000001 + i), customer=c, mailing_line1=f"{i} Oak St",
                 mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
         for i, c in enumerate(customers)])
    points = ServicePoint.objects.bulk_create(
        [ServicePoint(premise=p, service="water") for p in Premise.objects.bulk_create(
            [Premise(line1=f"{i} Oak St", city="Everett", zip="98201") for i in range(n)])])
    agreements = ServiceAgreement.objects.bulk_create(
        [ServiceAgreement(account=a, service_point=sp, service="water", rate_schedule=utility.water.rate_schedule,
                          customer_class="residential", bill_cycle=utility.cycle, start_date=date(2024, 1, 2))
         for a, sp in zip(accounts, points, strict=True)])
    for agreement in agreements:
        charge(agreement, "60.00", date(2025, 2, 1))
    AutopayEnrollment.objects.bulk_create(
        [AutopayEnrollment(account=a, holder_name=f"PAYER {i}", routing_number="021000021",
                           bank_account_number=f"{4400000 + i}", bank_account_last4=f"{4400000 + i}"[-4:],
                           account_type="savings" if i % 2 else "checking", draft_day=10,
                           start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 1), authorization="web consent",
                           status="prenote" if i < prenotes else "active",
                           live_from=None if i < prenotes else date(2025, 3, 1), created_by=users["specialist"])
         for i, a in enumerate(accounts)])


@pytest.mark.parametrize("enrolled_accounts", [4, 60])
def test_the_debit_file_and_its_settlement_are_set_based(users, utility, django_assert_max_num_queries,
                                                         enrolled_accounts):
    """A fixed number of queries per file whatever the number of enrollments:
    the file for 60 accounts takes no more queries than the one for 4."""
    prenotes = enrolled_accounts // 4
    many_enrolled(users, utility, enrolled_accounts, prenotes)
    with django_assert_max_num_queries(20):
        imported = actions.originate(on=date(2025, 3, 7), user=users["specialist"])
    assert imported.summary["debits"] == enrolled_accounts - prenotes
    assert imported.summary["prenotes"] == prenotes
    parsed = nacha.parse(imported.content)
    assert parsed.report.ok, parsed.report.lines()
    assert [e.dfi_account_number.strip() for e in parsed.entries] == [
        f"{4400000 + i}" for i in range(enrolled_accounts)]  # prenotes first, then the debits, in enrollment order
    assert sum(e.amount for e in parsed.entries) == D("60.00") * (enrolled_accounts - prenotes)
    assert {e.transaction_code for e in parsed.entries[prenotes:]} == {27, 37}
    with django_assert_max_num_queries(45):
        settled = actions.settle(on=date(2025, 3, 10), user=users["specialist"])
    assert settled["settled"] == enrolled_accounts - prenotes
    assert set(AchEntry.objects.values_list("status", flat=True)) == {"settled"}
    assert Payment.objects.count() == enrolled_accounts - prenotes
    assert_ledger_ok()
