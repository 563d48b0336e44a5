"""ACH re-presentment: R01/R09 returns sent again (RETRY PYMT) at most twice
within 180 days of the original settlement; the third return is final."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.formats import nacha
from ratepayer.payments import actions, queries
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import AchEntry, Payment, PaymentPolicy, Representment, ReturnedPayment
from ratepayer.staff.errors import PermissionRefused
from tests.payments.conftest import assert_ledger_ok, balance, charge
from tests.payments.helpers import return_file

D = Decimal


@pytest.fixture
def returned(users, utility):
    """A settled autopay debit of 150.00 returned R01."""
    charge(utility.electric, "150.00", date(2025, 2, 1))
    actions.enroll_autopay(user=users["specialist"], account=utility.account, holder_name="DOE JANE",
                           routing_number="021000021", bank_account_number="123456789", account_type="checking",
                           draft_day=10, start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 20),
                           authorization="signed form", prenote=False)
    actions.run_autopay(on=date(2025, 3, 7))
    actions.run_autopay(on=date(2025, 3, 10))
    entry = AchEntry.objects.get()
    return_back(entry, "R01", created=date(2025, 3, 12))
    return utility, entry


def return_back(entry, code, created):
    actions.import_ach_returns(user=None, content=return_file(
        [(entry.trace_number, code, "021000021", "123456789", str(entry.amount))], created=created),
        name=f"returns-{entry.trace_number}.ach")
    return ReturnedPayment.objects.get(external_reference=f"ach-return:{entry.trace_number}")


def test_a_queued_return_goes_out_in_the_next_file_as_retry_pymt_and_settles(users, returned):
    u, original = returned
    rp = ReturnedPayment.objects.get()
    assert balance(u.electric) == D("175.00")  # 150 back + 25.00 returned-payment fee
    r = actions.queue_representment(user=users["specialist"], returned=rp, on=date(2025, 3, 12))
    assert (r.attempt, r.status, r.amount) == (1, "queued", D("150.00"))
    with pytest.raises(PaymentError, match="already queued"):
        actions.queue_representment(user=users["specialist"], returned=rp, on=date(2025, 3, 12))
    result = actions.run_autopay(on=date(2025, 3, 12))
    retry = AchEntry.objects.get(retry_of=original)
    assert result["file"] and retry.file_id == result["file_id"] and retry.amount == D("150.00")
    parsed = nacha.parse(retry.file.content)
    assert parsed.report.ok, parsed.report.lines()
    (batch,) = parsed.batches
    assert batch.header.company_entry_description.strip() == "RETRY PYMT"
    assert [e.trace_number for e in parsed.entries] == [retry.trace_number]
    r.refresh_from_db()
    assert r.status == "sent" and r.entry_id == retry.pk
    actions.run_autopay(on=retry.settlement_date)
    assert Payment.objects.get(external_reference=f"ach:{retry.trace_number}").status == "posted"
    assert balance(u.electric) == D("25.00")
    assert_ledger_ok()


def test_twice_at_most_the_third_return_is_final(users, returned):
    u, original = returned
    first = ReturnedPayment.objects.get()
    day = date(2025, 3, 12)
    for attempt, rp in ((1, first), (2, None)):
        if rp is None:
            retry = AchEntry.objects.filter(retry_of=original).latest("pk")
            rp = return_back(retry, "R09", created=date(2025, 3, 20))
            day = date(2025, 3, 20)
        r = actions.queue_representment(user=users["specialist"], returned=rp, on=day)
        assert r.attempt == attempt
        actions.run_autopay(on=day)
    second_retry = AchEntry.objects.filter(retry_of=original).latest("pk")
    third = return_back(second_retry, "R01", created=date(2025, 3, 28))
    rows = {row.pk: row for row in queries.representable_returns(date(2025, 3, 28))}
    assert rows[third.pk].final
    with pytest.raises(PaymentError, match="third return is final"):
        actions.queue_representment(user=users["specialist"], returned=third, on=date(2025, 3, 28))
    assert Representment.objects.count() == 2 and AchEntry.objects.filter(retry_of=original).count() == 2
    assert_ledger_ok()


def test_other_codes_late_requests_and_forbidden_roles_are_refused(users, returned):
    u, original = returned
    rp = ReturnedPayment.objects.get()
    with pytest.raises(PermissionRefused):
        actions.queue_representment(user=users["assistant"], returned=rp, on=date(2025, 3, 12))
    with pytest.raises(PaymentError, match="180 days"):
        actions.queue_representment(user=users["specialist"], returned=rp, on=date(2025, 9, 7))
    with pytest.raises(PaymentError, match="180 days"):
        actions.queue_representment(user=users["specialist"], returned=rp, on=date(2026, 1, 5))
    ReturnedPayment.objects.filter(pk=rp.pk).update(return_code="R02")
    with pytest.raises(PaymentError, match="only R01 and R09"):
        actions.queue_representment(user=users["specialist"], returned=rp, on=date(2025, 3, 12))
    assert not Representment.objects.exists()
    assert actions.run_autopay(on=date(2025, 3, 12))["file"] is None  # nothing queued, nothing sent


def test_policy_automatic_queues_eligible_returns_when_the_file_is_made(users, returned):
    u, original = returned
    PaymentPolicy.objects.update(represent_automatically=True)
    result = actions.run_autopay(on=date(2025, 3, 12))
    r = Representment.objects.get()
    assert r.automatic and r.status == "sent" and result["file_id"] == r.entry.file_id


def test_a_queued_retry_is_cancelled_when_autopay_stopped(users, returned):
    u, original = returned
    r = actions.queue_representment(user=users["specialist"], returned=ReturnedPayment.objects.get(),
                                    on=date(2025, 3, 12))
    actions.stop_autopay(user=users["specialist"], enrollment=original.enrollment, reason="customer request")
    assert actions.run_autopay(on=date(2025, 3, 12))["file"] is None
    r.refresh_from_db()
    assert r.status == "cancelled" and "stopped" in r.note


def test_a_returned_retry_reverses_its_payment_but_charges_no_second_fee(users, returned):
    """One returned-payment fee per item (NACHA: a return fee once per entry, however
    often it is re-presented); the retry's return reverses only the retry's payment."""
    u, original = returned
    actions.queue_representment(user=users["specialist"], returned=ReturnedPayment.objects.get(), on=date(2025, 3, 12))
    actions.run_autopay(on=date(2025, 3, 12))
    retry = AchEntry.objects.get(retry_of=original)
    actions.run_autopay(on=retry.settlement_date)
    assert balance(u.electric) == D("25.00")
    second = return_back(retry, "R01", created=retry.settlement_date)
    assert second.status == "processed" and second.fee_entry_id is None
    assert Payment.objects.get(external_reference=f"ach:{retry.trace_number}").status == "reversed"
    assert balance(u.electric) == D("175.00")  # 150 back again, the 25.00 fee only once
    assert_ledger_ok()
