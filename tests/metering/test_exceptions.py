"""Working the read exceptions queue: the four decisions, audited, refused when not allowed."""

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.metering import actions
from ratepayer.metering.errors import MeteringError
from ratepayer.metering.models import ReadException, ReadOrder, RegisterRead
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.models import AuditEvent

D = Decimal


@pytest.fixture
def high_read(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    read = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 5),
                              value=last.value + 9300)
    assert read.status == "exception"
    return read


def test_accept_makes_the_read_billable(high_read, users):
    exc = actions.work_exception(user=users["specialist2"], exception=high_read.exception, decision="accept",
                                 note="New hot tub, customer confirmed")
    high_read.refresh_from_db()
    assert high_read.status == "valid" and exc.status == "resolved" and exc.decided_by == users["specialist2"]
    event = AuditEvent.objects.get(action="read_exception.accept")
    assert "hot tub" in event.summary and event.user == users["specialist2"]


def test_reread_rejects_the_read_and_orders_a_field_read_completed_by_the_next_read(high_read, specialist):
    actions.work_exception(user=specialist, exception=high_read.exception.pk, decision="reread", note="digits?")
    high_read.refresh_from_db()
    order = ReadOrder.objects.get(meter=high_read.meter)
    assert high_read.status == "rejected" and order.status == "open" and "High usage" in order.reason
    last_valid = RegisterRead.objects.filter(meter=high_read.meter, status="valid").latest("read_date")
    again = actions.enter_read(user=specialist, meter=high_read.meter, read_date=date(2025, 2, 6),
                               value=last_valid.value + 960)
    order.refresh_from_db()
    assert again.status == "valid" and order.status == "completed" and order.completed_by_read == again


def test_estimate_replaces_the_read_with_an_estimate(high_read, specialist):
    exc = actions.work_exception(user=specialist, exception=high_read.exception, decision="estimate")
    est = exc.resulting_read
    assert est.read_type == "estimated" and est.status == "valid" and est.replaces_id == high_read.pk
    assert est.estimate_basis == "same_season" and est.consumption == D("930.0000")  # 31 days × 30 kWh


def test_correct_stores_a_new_read_and_keeps_the_original(high_read, specialist):
    last_valid = RegisterRead.objects.filter(meter=high_read.meter, status="valid").latest("read_date")
    exc = actions.work_exception(user=specialist, exception=high_read.exception, decision="correct",
                                 corrected_value=str(last_valid.value + 930), note="transposed digits")
    new = exc.resulting_read
    high_read.refresh_from_db()
    assert high_read.status == "rejected" and high_read.value == last_valid.value + 9300
    assert new.source == "correction" and new.consumption == D("930.0000") and new.replaces_id == high_read.pk
    event = AuditEvent.objects.get(action="read_exception.correct")
    assert event.before["value"] == str(high_read.value) and event.after["value"] == str(new.value)


def test_a_decided_exception_cannot_be_decided_again(high_read, specialist):
    actions.work_exception(user=specialist, exception=high_read.exception, decision="reread")
    with pytest.raises(MeteringError, match="already decided"):
        actions.work_exception(user=specialist, exception=high_read.exception, decision="accept")


def test_forbidden_roles_are_refused_and_change_nothing(high_read, users):
    for role in ("assistant", "kam", "auditor"):
        with pytest.raises(PermissionRefused):
            actions.work_exception(user=users[role], exception=high_read.exception, decision="accept")
    high_read.refresh_from_db()
    assert high_read.status == "exception" and high_read.exception.status == "open"
    assert not AuditEvent.objects.filter(action__startswith="read_exception.").exists()


def test_bad_correction_changes_nothing(high_read, specialist):
    with pytest.raises(MeteringError, match="Corrected value"):
        actions.work_exception(user=specialist, exception=high_read.exception, decision="correct", corrected_value="x")
    with pytest.raises(MeteringError, match="Decision"):
        actions.work_exception(user=specialist, exception=high_read.exception, decision="ignore")
    high_read.refresh_from_db()
    assert high_read.status == "exception"
    assert ReadException.objects.get(pk=high_read.exception.pk).status == "open"


def test_accepting_an_earlier_read_recomputes_the_next_reads_usage(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    held = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 5), value=last.value)
    assert held.exception.reasons == ["zero_usage"]
    later = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 3, 5),
                               value=last.value + 1770)
    assert later.consumption == D("1770.0000")  # against the last valid read, two months
    actions.work_exception(user=specialist, exception=held.exception, decision="accept", note="vacant in January")
    later.refresh_from_db()
    assert later.consumption == D("1770.0000")  # zero + 1770: the sum over the span is unchanged
    held.refresh_from_db()
    assert held.status == "valid" and held.consumption == D("0.0000")
