"""staff.transitions: the one status change — the map is checked, a row someone
else moved meanwhile is refused, and the audit row is written with the change."""

import pytest

from ratepayer.billing.actions import request_adjustment
from ratepayer.billing.errors import BillingError
from ratepayer.billing.models import Adjustment
from ratepayer.staff import transitions
from ratepayer.staff.models import AuditEvent


@pytest.fixture
def pending(utility, users):
    return request_adjustment(user=users["specialist"], agreement=utility.water, direction="debit", amount="900.00",
                              reason_code="BILLERR", memo="waits")


def test_a_change_the_map_forbids_is_refused_and_changes_nothing(pending):
    events = AuditEvent.objects.count()
    Adjustment.objects.filter(pk=pending.pk).update(status="rejected")
    pending.refresh_from_db()
    with pytest.raises(BillingError, match=rf"Adjustment #{pending.pk} is rejected and cannot become posted\."):
        transitions.change_status(pending, "posted", refused=BillingError, action="adjustment.posted")
    assert Adjustment.objects.get(pk=pending.pk).status == "rejected" and AuditEvent.objects.count() == events


def test_a_row_changed_meanwhile_is_refused(pending):
    Adjustment.objects.filter(pk=pending.pk).update(status="cancelled")  # another clerk withdrew it
    events = AuditEvent.objects.count()
    with pytest.raises(BillingError, match="changed meanwhile"):
        transitions.change_status(pending, "rejected", refused=BillingError, action="adjustment.rejected")
    assert Adjustment.objects.get(pk=pending.pk).status == "cancelled" and AuditEvent.objects.count() == events


def test_the_change_sets_the_fields_and_writes_its_audit_row(pending, users):
    transitions.change_status(pending, "rejected", refused=BillingError, fields={"memo": "no photos"},
                              action="adjustment.rejected", user_id=users["senior"].pk,
                              account_id=pending.account_id, summary="rejected: no photos",
                              before={"status": "pending"}, after={"status": "rejected"})
    row = Adjustment.objects.get(pk=pending.pk)
    assert (row.status, row.memo) == ("rejected", "no photos") and pending.memo == "no photos"
    event = AuditEvent.objects.get(action="adjustment.rejected")
    assert (event.object_id, event.account_id, event.user_id) == (str(pending.pk), pending.account_id,
                                                                  users["senior"].pk)
    assert event.before == {"status": "pending"} and event.after == {"status": "rejected"}
