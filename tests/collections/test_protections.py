"""The protection records' actions: each writes its row and its audit event; each refusal
names the field and changes nothing (no row, no audit event)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ratepayer.collections.actions import protections as act
from ratepayer.collections.errors import ProtectionError
from ratepayer.collections.models.protections import (
    Dispute,
    HeatAlert,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)
from ratepayer.collections.queries.protections import bill_is_disputed, disputed_bill_ids, season_start
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.models import AuditEvent
from tests.collections.core_helpers import issue_bill

pytestmark = pytest.mark.django_db

MONDAY = date(2025, 12, 1)


def _unchanged(model, before_rows: int, before_events: int) -> None:
    assert model.objects.count() == before_rows
    assert AuditEvent.objects.count() == before_events


def _refused(call, model, error=ProtectionError, match: str | None = None):
    rows, events = model.objects.count(), AuditEvent.objects.count()
    with pytest.raises(error, match=match):
        call()
    _unchanged(model, rows, events)


def test_heat_alert_entered_changed_withdrawn(users):
    clerk = users["specialist"]
    alert = act.enter_heat_alert(user=clerk, zone=" waz558 ", day=date(2025, 7, 8), kind="Heat Advisory")
    assert (alert.zone, alert.kind, alert.source, alert.status) == ("WAZ558", "heat_advisory", "entered", "active")
    assert AuditEvent.objects.filter(action="heat_alert.entered", object_id=str(alert.pk)).exists()
    _refused(lambda: act.enter_heat_alert(user=clerk, zone="WAZ558", day=date(2025, 7, 8), kind="heat_advisory"),
             HeatAlert, match="already recorded")
    _refused(lambda: act.enter_heat_alert(user=clerk, zone="Seattle", day=date(2025, 7, 8), kind="heat_advisory"),
             HeatAlert, match="^Zone: ")
    _refused(lambda: act.enter_heat_alert(user=clerk, zone="WAZ558", day=date(2025, 7, 9), kind="hot"),
             HeatAlert, match="^Kind: ")
    _refused(lambda: act.enter_heat_alert(user=users["assistant"], zone="WAZ558", day=date(2025, 7, 9),
                                          kind="heat_advisory"), HeatAlert, error=PermissionRefused)
    act.change_heat_alert(user=clerk, alert=alert, kind="excessive_heat_warning", note="NWS Seattle")
    alert.refresh_from_db()
    assert (alert.kind, alert.note) == ("excessive_heat_warning", "NWS Seattle")
    act.withdraw_heat_alert(user=clerk, alert=alert, reason="wrong zone")
    alert.refresh_from_db()
    assert alert.status == "withdrawn" and alert.withdrawn_by == clerk
    events = AuditEvent.objects.count()
    with pytest.raises(ProtectionError, match="is withdrawn .* cannot become"):
        act.withdraw_heat_alert(user=clerk, alert=alert, reason="again")
    with pytest.raises(ProtectionError, match="was withdrawn"):
        act.change_heat_alert(user=clerk, alert=alert, kind="heat_advisory")
    assert AuditEvent.objects.count() == events
    # withdrawn: the same zone, day and kind may be entered again
    act.enter_heat_alert(user=clerk, zone="WAZ558", day=date(2025, 7, 8), kind="excessive_heat_warning")


def test_premise_zone_set_changed_cleared(utility, users):
    clerk, premise = users["specialist"], utility.premise
    act.set_premise_zone(user=clerk, premise=premise, zone="WAZ558")
    act.set_premise_zone(user=clerk, premise=premise, zone="WAZ558")  # the same: nothing to record
    act.set_premise_zone(user=clerk, premise=premise, zone="wac061")
    assert PremiseZone.objects.get(premise=premise).zone == "WAC061"
    assert AuditEvent.objects.filter(action="premise.zone_set").count() == 2
    _refused(lambda: act.set_premise_zone(user=clerk, premise=premise, zone="WA558"), PremiseZone, match="^Zone: ")
    act.clear_premise_zone(user=clerk, premise=premise)
    assert not PremiseZone.objects.exists()
    _refused(lambda: act.clear_premise_zone(user=clerk, premise=premise), PremiseZone, match="no NWS zone")


def test_medical_notice_grace_payment_and_certificate(utility, users):
    clerk = users["specialist"]
    cert = act.record_medical_notice(user=clerk, account=utility.account, premise=utility.premise,
                                     notified_on=date(2025, 11, 26), notice="verbal",
                                     delinquent_balance="215.05")
    # Wed Nov 26 + 5 business days: Thanksgiving (27th), the day after (a Washington state holiday)
    # and the weekend skipped -> Fri Dec 5
    assert cert.status == "awaiting_written"
    assert cert.written_due_on == date(2025, 12, 5) == cert.payment_due_on
    assert cert.required_payment == Decimal("21.51")  # 10 %, rounded up to the cent
    assert cert.remainder_due_on == date(2025, 11, 26) + timedelta(days=120)
    assert cert.expires_on == date(2025, 11, 26) + timedelta(days=60)
    _refused(lambda: act.record_medical_notice(user=clerk, account=utility.account, premise=utility.premise,
                                               notified_on=date(2025, 11, 28), notice="written",
                                               delinquent_balance="10.00"),
             MedicalCertificate, match="already has a medical certificate in effect")
    _refused(lambda: act.certify_medical(user=clerk, certificate=cert, received_on=date(2025, 12, 8),
                                         certifier_title="physician", certifier_name="Dr. Ruth Ames",
                                         certifier_phone="425-555-0100"),
             MedicalCertificate, match="after the 5-business-day window")
    events = AuditEvent.objects.count()
    with pytest.raises(ProtectionError, match="^Certified by: "):
        act.certify_medical(user=clerk, certificate=cert, received_on=date(2025, 12, 3), certifier_title="chiropractor",
                            certifier_name="X", certifier_phone="1")
    assert AuditEvent.objects.count() == events
    act.certify_medical(user=clerk, certificate=cert, received_on=date(2025, 12, 3),
                        certifier_title="nurse_practitioner", certifier_name="Ruth Ames, ARNP",
                        certifier_phone="425-555-0100")
    cert.refresh_from_db()
    assert (cert.status, cert.written_received_on) == ("certified", date(2025, 12, 3))
    act.change_medical_certificate(user=clerk, certificate=cert, remainder_agreed=True,
                                   expires_on=date(2026, 2, 1))
    cert.refresh_from_db()
    assert cert.remainder_agreed and cert.expires_on == date(2026, 2, 1)
    with pytest.raises(ProtectionError, match="^Expires on: at most 120 days"):
        act.change_medical_certificate(user=clerk, certificate=cert, expires_on=date(2026, 6, 1))
    act.close_medical_certificate(user=clerk, certificate=cert, closed_on=date(2025, 12, 20), reason="recovered")
    cert.refresh_from_db()
    assert cert.status == "closed"
    with pytest.raises(ProtectionError, match="is closed"):
        act.change_medical_certificate(user=clerk, certificate=cert, remainder_agreed=False)
    assert set(AuditEvent.objects.filter(object_type="collections.medicalcertificate")
               .values_list("action", flat=True)) == {"medical_certificate.recorded", "medical_certificate.certified",
                                                      "medical_certificate.changed", "medical_certificate.closed"}


def test_medical_notice_refusals(utility, users):
    clerk = users["specialist"]
    kwargs = {"account": utility.account, "premise": utility.premise, "notified_on": MONDAY, "notice": "verbal"}
    _refused(lambda: act.record_medical_notice(user=users["assistant"], **kwargs), MedicalCertificate,
             error=PermissionRefused)
    _refused(lambda: act.record_medical_notice(user=clerk, **(kwargs | {"notice": "email"})), MedicalCertificate,
             match="^Notice: ")
    _refused(lambda: act.record_medical_notice(user=clerk, **(kwargs | {"notified_on": date(2999, 1, 1)})),
             MedicalCertificate, match="in the future")
    _refused(lambda: act.record_medical_notice(user=clerk, delinquent_balance="12.345", **kwargs),
             MedicalCertificate, match="Delinquent balance")


def test_dispute_holds_a_bill_and_closes(utility, users):
    clerk = users["specialist"]
    bill = issue_bill(utility.account, {utility.electric: Decimal("88.00")}, date(2025, 11, 10), date(2025, 12, 1))
    dispute = act.open_dispute(user=clerk, account=utility.account, bill=bill, opened_on=MONDAY,
                               reason="meter read looks high", amount="40.00")
    assert bill_is_disputed(bill.pk) and disputed_bill_ids([bill.pk, 999]) == {bill.pk}
    _refused(lambda: act.open_dispute(user=clerk, account=utility.account, bill=bill, opened_on=MONDAY,
                                      reason="again"), Dispute, match="already disputed")
    _refused(lambda: act.open_dispute(user=clerk, account=utility.account, opened_on=MONDAY, reason="  "),
             Dispute, match="^Reason: required")
    act.change_dispute(user=clerk, dispute=dispute, reason="read was estimated", amount="")
    dispute.refresh_from_db()
    assert (dispute.reason, dispute.amount) == ("read was estimated", None)
    with pytest.raises(ProtectionError, match="before the dispute was opened"):
        act.close_dispute(user=clerk, dispute=dispute, closed_on=MONDAY - timedelta(days=1), resolution="x")
    act.close_dispute(user=clerk, dispute=dispute, closed_on=MONDAY + timedelta(days=2), resolution="re-read: correct")
    assert not bill_is_disputed(bill.pk)
    with pytest.raises(ProtectionError, match="closed and cannot be changed"):
        act.change_dispute(user=clerk, dispute=dispute, reason="again")
    with pytest.raises(ProtectionError, match="is closed and cannot become closed"):
        act.close_dispute(user=clerk, dispute=dispute, closed_on=MONDAY + timedelta(days=2), resolution="x")


def test_winter_protection_request_progress_and_close(utility, users):
    clerk = users["specialist"]
    assert season_start(date(2026, 2, 3)) == date(2025, 11, 15)
    assert season_start(date(2025, 10, 1)) == date(2025, 11, 15)
    request = act.request_winter_protection(user=clerk, account=utility.account, premise=utility.premise,
                                            notified_on=date(2025, 11, 20), grantee="Snohomish County HSD")
    assert request.season_start == date(2025, 11, 15)
    _refused(lambda: act.request_winter_protection(user=clerk, account=utility.account, premise=utility.premise,
                                                   notified_on=date(2025, 11, 21)),
             WinterProtection, match="already has an open winter-protection request")
    with pytest.raises(ProtectionError, match="enter it"):
        act.change_winter_protection(user=clerk, protection=request, eligibility_documented_on=date(2025, 11, 25))
    with pytest.raises(ProtectionError, match="cannot be before the customer notified"):
        act.change_winter_protection(user=clerk, protection=request, plan_agreed_on=date(2025, 11, 1))
    act.change_winter_protection(user=clerk, protection=request, eligibility_documented_on=date(2025, 11, 25),
                                 annual_income_figure="2100.00", heating_assistance_applied=True,
                                 weatherization_unavailable=True, plan_agreed_on=date(2025, 11, 26))
    request.refresh_from_db()
    assert request.annual_income_figure == Decimal("2100.00") and request.heating_assistance_applied
    event = AuditEvent.objects.get(action="winter_protection.changed")
    assert event.after["annual_income_figure"] == "2100.00" and "grantee" not in event.after
    with pytest.raises(ProtectionError, match="^Reason: "):
        act.close_winter_protection(user=clerk, protection=request, closed_on=date(2026, 3, 1), reason="bored")
    act.close_winter_protection(user=clerk, protection=request, closed_on=date(2026, 3, 1), reason="paid")
    request.refresh_from_db()
    assert request.status == "closed"
    with pytest.raises(ProtectionError, match="closed and cannot be changed"):
        act.change_winter_protection(user=clerk, protection=request, note="x")


def test_landlord_registered_changed_ended(utility, users):
    clerk = users["specialist"]
    fields = {"owner_name": "Harbor Rentals LLC", "mailing_line1": "PO Box 12", "mailing_city": "Everett",
              "mailing_state": "wa", "mailing_zip": "98206"}
    landlord = act.register_landlord(user=clerk, premise=utility.premise, request_received_on=MONDAY, **fields)
    assert landlord.mailing_address == "PO Box 12, Everett, WA 98206"
    _refused(lambda: act.register_landlord(user=clerk, premise=utility.premise, request_received_on=MONDAY, **fields),
             RegisteredLandlord, match="already has a registered landlord")
    _refused(lambda: act.register_landlord(user=clerk, premise=utility.premise, request_received_on=MONDAY,
                                           **(fields | {"mailing_zip": ""})),
             RegisteredLandlord, match="^ZIP: required")
    act.change_landlord(user=clerk, landlord=landlord, mailing_line1="PO Box 99")
    landlord.refresh_from_db()
    assert landlord.mailing_line1 == "PO Box 99"
    act.end_landlord(user=clerk, landlord=landlord, ended_on=MONDAY + timedelta(days=30), reason="sold")
    landlord.refresh_from_db()
    assert landlord.status == "ended"
    with pytest.raises(ProtectionError, match="has ended"):
        act.change_landlord(user=clerk, landlord=landlord, owner_name="X")
    # ended: the premise may be registered again
    act.register_landlord(user=clerk, premise=utility.premise, request_received_on=MONDAY + timedelta(days=31),
                          **fields)
