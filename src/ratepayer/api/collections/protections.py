"""API of the protections from disconnection: heat-alert days per NWS zone (and their CSV
files), premise zones, medical certificates, disputes, winter-protection requests, registered
landlords, and the disconnect decision of an account on a date with every rule's reason.

Each write calls the same action as the console page (``collections.actions.protections``),
so the checks, refusals and audit rows are the action's. The capability (``account.maintain``
to record, ``account.view`` to read) is checked before anything is looked up, so a refused
user learns nothing. A refusal answers 400 ``protection_refused`` with the clerk's sentence; a
refused heat-alert file answers 400 ``file_refused`` with every ``line N: field: problem`` in
``detail``; the same file twice answers 409 ``already_imported``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.management.base import CommandError
from django.utils import timezone
from ninja import Field, File, Router, Schema, Status, UploadedFile

from ratepayer.billing.models import Bill
from ratepayer.collections.actions import protections as act
from ratepayer.collections.disconnect_rules import decide_disconnect
from ratepayer.collections.errors import ProtectionError
from ratepayer.collections.facts import facts_for_account
from ratepayer.collections.models.protections import (
    Dispute,
    HeatAlert,
    HeatAlertImport,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)
from ratepayer.collections.queries.protections import bill_is_disputed, premises_of
from ratepayer.customers.models import Account, Premise
from ratepayer.staff import permissions

from ..errors import ApiError, found
from ..schemas import Problem, curl_example, examples, read, write

router = Router()
RECORD = act.CAPABILITY


def _can(request, capability: str, doing: str) -> None:
    permissions.require(request.auth, capability, doing)


def _account(number: str) -> Account:
    return found(Account.objects.select_related("customer"),
                 f"There is no account number {number.strip()!r}. Nothing was changed.", number=number.strip())


def _premise_of(account: Account, premise_id: int) -> Premise:
    premise = next((p for p in premises_of(account) if p.pk == premise_id), None)
    if premise is None:
        raise ProtectionError(f"Premise: {premise_id} is not a premise of account {account.number}.")
    return premise


# --- heat alerts ---------------------------------------------------------------------------

class HeatAlertIn(Schema):
    model_config = examples({"zone": "WAZ558", "day": "2026-07-08", "kind": "excessive_heat_warning",
                             "note": "NWS Seattle, issued 3:12 AM"})
    zone: str = Field(description="NWS zone (WAZ558) or county code (WAC061)")
    day: date
    kind: str = Field(description="excessive_heat_warning, excessive_heat_watch, heat_advisory, "
                                  "extreme_heat_warning, extreme_heat_watch or other")
    note: str = ""


class HeatAlertChangeIn(Schema):
    model_config = examples({"kind": "heat_advisory", "note": "downgraded by NWS"})
    kind: str
    note: str = ""


class ReasonIn(Schema):
    model_config = examples({"reason": "entered in error: wrong zone"})
    reason: str


class HeatAlertOut(Schema):
    model_config = examples({"id": 14, "zone": "WAZ558", "day": "2026-07-08", "kind": "excessive_heat_warning",
                             "status": "active", "source": "entered", "note": "", "entered_by": "specialist"})
    id: int
    zone: str
    day: date
    kind: str
    status: str = Field(description="active, or withdrawn (entered in error: never a fact)")
    source: str = Field(description="entered or imported")
    note: str
    entered_by: str


def _alert_out(alert: HeatAlert) -> HeatAlertOut:
    return HeatAlertOut(id=alert.pk, zone=alert.zone, day=alert.day, kind=alert.kind, status=alert.status,
                        source=alert.source, note=alert.note, entered_by=alert.entered_by.get_username())


class HeatAlertListOut(Schema):
    model_config = examples({"items": [HeatAlertOut.model_config["json_schema_extra"]["examples"][0]]})
    items: list[HeatAlertOut]


@read(router, "/heat-alerts", response={200: HeatAlertListOut}, operation_id="list_heat_alerts",
      summary="Heat-alert days, by zone and date range")
def list_heat_alerts(request, zone: str = "", date_from: date | None = None, date_to: date | None = None):
    _can(request, "account.view", "see heat-alert days")
    alerts = HeatAlert.objects.select_related("entered_by").order_by("-day", "zone")
    if zone.strip():
        alerts = alerts.filter(zone=zone.strip().upper())
    if date_from:
        alerts = alerts.filter(day__gte=date_from)
    if date_to:
        alerts = alerts.filter(day__lte=date_to)
    return Status(200, HeatAlertListOut(items=[_alert_out(a) for a in alerts[:1000]]))


@write(router, "/heat-alerts", response={201: HeatAlertOut}, operation_id="enter_heat_alert",
       summary="Record an NWS heat-related alert for a zone and day")
def enter_heat_alert(request, payload: HeatAlertIn):
    _can(request, RECORD, "enter heat alerts")
    return Status(201, _alert_out(act.enter_heat_alert(user=request.auth, zone=payload.zone, day=payload.day,
                                                       kind=payload.kind, note=payload.note)))


@write(router, "/heat-alerts/{alert_id}", response={200: HeatAlertOut}, operation_id="change_heat_alert",
       summary="Correct a heat alert's kind or note")
def change_heat_alert(request, alert_id: int, payload: HeatAlertChangeIn):
    _can(request, RECORD, "change heat alerts")
    alert = found(HeatAlert, f"There is no heat alert {alert_id}. Nothing was changed.", pk=alert_id)
    return Status(200, _alert_out(act.change_heat_alert(user=request.auth, alert=alert, kind=payload.kind,
                                                        note=payload.note)))


@write(router, "/heat-alerts/{alert_id}/withdraw", response={200: HeatAlertOut}, operation_id="withdraw_heat_alert",
       summary="Withdraw a heat alert entered in error")
def withdraw_heat_alert(request, alert_id: int, payload: ReasonIn):
    _can(request, RECORD, "withdraw heat alerts")
    alert = found(HeatAlert, f"There is no heat alert {alert_id}. Nothing was changed.", pk=alert_id)
    return Status(200, _alert_out(act.withdraw_heat_alert(user=request.auth, alert=alert, reason=payload.reason)))


class HeatAlertFileOut(Schema):
    model_config = examples({"id": 3, "file_name": "alerts-2026-07.csv", "rows": 12, "created": 11})
    id: int
    file_name: str
    rows: int = Field(description="alert days in the file")
    created: int = Field(description="alert days added (the rest were already recorded)")


@write(router, "/heat-alert-files", response={201: HeatAlertFileOut}, operation_id="import_heat_alerts_file",
       summary="Import a heat-alert days CSV (zone,date,kind[,note]): all rows or none",
       openapi_extra=curl_example("/heat-alert-files", "-F file=@alerts-2026-07.csv"))
def import_heat_alerts_file(request, file: File[UploadedFile]):
    _can(request, RECORD, "import heat alerts")
    batch: HeatAlertImport = act.import_heat_alerts(user=request.auth, content=file.read(),
                                                    file_name=file.name or "heat-alerts.csv")
    return Status(201, HeatAlertFileOut(id=batch.pk, file_name=batch.file_name, rows=batch.rows,
                                        created=batch.created))


# --- premise zone and registered landlords -------------------------------------------------

class ZoneIn(Schema):
    model_config = examples({"zone": "WAZ558"})
    zone: str = Field(description="the NWS zone; empty clears it")


class ZoneOut(Schema):
    model_config = examples({"premise_id": 41, "zone": "WAZ558"})
    premise_id: int
    zone: str | None


@write(router, "/premises/{premise_id}/nws-zone", response={200: ZoneOut}, operation_id="set_premise_zone",
       summary="Set, change or clear the NWS zone a premise lies in")
def set_premise_zone(request, premise_id: int, payload: ZoneIn):
    _can(request, RECORD, "set a premise's weather zone")
    premise = found(Premise, f"There is no premise {premise_id}. Nothing was changed.", pk=premise_id)
    if payload.zone.strip():
        return Status(200, ZoneOut(premise_id=premise.pk,
                                   zone=act.set_premise_zone(user=request.auth, premise=premise, zone=payload.zone).zone))
    act.clear_premise_zone(user=request.auth, premise=premise)
    return Status(200, ZoneOut(premise_id=premise.pk, zone=None))


_LANDLORD_EXAMPLE = {"owner_name": "Harbor Rentals LLC", "request_received_on": "2026-11-02",
                     "mailing_line1": "PO Box 12", "mailing_line2": "", "mailing_city": "Everett",
                     "mailing_state": "WA", "mailing_zip": "98206", "phone": "(425) 555-0111", "email": ""}


class LandlordIn(Schema):
    model_config = examples(_LANDLORD_EXAMPLE)
    owner_name: str
    request_received_on: date = Field(description="the day the owner's written request arrived")
    mailing_line1: str
    mailing_line2: str = ""
    mailing_city: str
    mailing_state: str = "WA"
    mailing_zip: str
    phone: str = ""
    email: str = ""


class LandlordChangeIn(Schema):
    model_config = examples({"mailing_line1": "PO Box 99"})
    owner_name: str | None = None
    mailing_line1: str | None = None
    mailing_line2: str | None = None
    mailing_city: str | None = None
    mailing_state: str | None = None
    mailing_zip: str | None = None
    phone: str | None = None
    email: str | None = None


class EndIn(Schema):
    model_config = examples({"on": "2026-12-01", "reason": "property sold"})
    on: date
    reason: str


class LandlordOut(Schema):
    model_config = examples({"id": 5, "premise_id": 41, "status": "active", "ended_on": None, **_LANDLORD_EXAMPLE})
    id: int
    premise_id: int
    status: str
    owner_name: str
    request_received_on: date
    mailing_line1: str
    mailing_line2: str
    mailing_city: str
    mailing_state: str
    mailing_zip: str
    phone: str
    email: str
    ended_on: date | None


def _landlord_out(row: RegisteredLandlord) -> LandlordOut:
    return LandlordOut(id=row.pk, premise_id=row.premise_id, status=row.status, owner_name=row.owner_name,
                       request_received_on=row.request_received_on, mailing_line1=row.mailing_line1,
                       mailing_line2=row.mailing_line2, mailing_city=row.mailing_city, mailing_state=row.mailing_state,
                       mailing_zip=row.mailing_zip, phone=row.phone, email=row.email, ended_on=row.ended_on)


@write(router, "/premises/{premise_id}/landlords", response={201: LandlordOut}, operation_id="register_landlord",
       summary="Register an owner's written request for copies of a tenant's delinquency notices")
def register_landlord(request, premise_id: int, payload: LandlordIn):
    _can(request, RECORD, "register landlords")
    premise = found(Premise, f"There is no premise {premise_id}. Nothing was changed.", pk=premise_id)
    values = payload.dict()
    received = values.pop("request_received_on")
    return Status(201, _landlord_out(act.register_landlord(user=request.auth, premise=premise,
                                                           request_received_on=received, **values)))


@write(router, "/landlords/{landlord_id}", response={200: LandlordOut}, operation_id="change_landlord",
       summary="Change a registered landlord's name, address or contact")
def change_landlord(request, landlord_id: int, payload: LandlordChangeIn):
    _can(request, RECORD, "change registered landlords")
    row = found(RegisteredLandlord, f"There is no registered landlord {landlord_id}. Nothing was changed.",
                pk=landlord_id)
    values = {k: v for k, v in payload.dict().items() if v is not None}
    return Status(200, _landlord_out(act.change_landlord(user=request.auth, landlord=row, **values)))


@write(router, "/landlords/{landlord_id}/end", response={200: LandlordOut}, operation_id="end_landlord",
       summary="End a landlord registration")
def end_landlord(request, landlord_id: int, payload: EndIn):
    _can(request, RECORD, "end landlord registrations")
    row = found(RegisteredLandlord, f"There is no registered landlord {landlord_id}. Nothing was changed.",
                pk=landlord_id)
    return Status(200, _landlord_out(act.end_landlord(user=request.auth, landlord=row, ended_on=payload.on,
                                                      reason=payload.reason)))


# --- medical certificates ------------------------------------------------------------------

class MedicalIn(Schema):
    model_config = examples({"premise_id": 41, "notified_on": "2026-12-07", "notice": "verbal",
                             "delinquent_balance": "215.05"})
    premise_id: int = Field(description="the residence of the person with the condition")
    notified_on: date
    notice: str = Field(description="verbal or written")
    delinquent_balance: str | None = Field(None, description="blank: what the account owes now")
    written_received_on: date | None = None
    certifier_title: str = Field("", description="physician, nurse_practitioner or physician_assistant")
    certifier_name: str = ""
    certifier_phone: str = ""
    term_days: int = Field(act.MEDICAL_TERM_DAYS, description="days the certificate stays in effect (≤ 120)")
    remainder_agreed: bool = False


class CertifyIn(Schema):
    model_config = examples({"received_on": "2026-12-10", "certifier_title": "physician",
                             "certifier_name": "Dr. Ruth Ames", "certifier_phone": "(425) 555-0100"})
    received_on: date
    certifier_title: str
    certifier_name: str
    certifier_phone: str


class MedicalChangeIn(Schema):
    model_config = examples({"expires_on": "2027-02-05", "remainder_agreed": True})
    expires_on: date | None = None
    remainder_agreed: bool | None = None
    certifier_name: str | None = None
    certifier_phone: str | None = None


_MEDICAL_EXAMPLE = {"id": 9, "account": "100234-7", "premise_id": 41, "status": "awaiting_written",
                    "notified_on": "2026-12-07", "notice": "verbal", "written_due_on": "2026-12-14",
                    "written_received_on": None, "certifier_title": "", "certifier_name": "", "certifier_phone": "",
                    "effective_from": "2026-12-07", "expires_on": "2027-02-05", "delinquent_balance": "215.05",
                    "required_payment": "21.51", "payment_due_on": "2026-12-14", "remainder_agreed": False,
                    "remainder_due_on": "2027-04-06", "closed_on": None, "close_reason": ""}


class MedicalOut(Schema):
    model_config = examples(_MEDICAL_EXAMPLE)
    id: int
    account: str
    premise_id: int
    status: str = Field(description="awaiting_written, certified or closed")
    notified_on: date
    notice: str
    written_due_on: date = Field(description="5 business days after the notice")
    written_received_on: date | None
    certifier_title: str
    certifier_name: str
    certifier_phone: str
    effective_from: date
    expires_on: date
    delinquent_balance: Decimal
    required_payment: Decimal = Field(description="10 % of the delinquent balance, due by payment_due_on")
    payment_due_on: date
    remainder_agreed: bool
    remainder_due_on: date = Field(description="120 days after the notice")
    closed_on: date | None
    close_reason: str


def _medical_out(row: MedicalCertificate) -> MedicalOut:
    return MedicalOut(account=row.account.number, **{k: getattr(row, k) for k in _MEDICAL_EXAMPLE
                                                     if k not in ("account", "id")}, id=row.pk)


@write(router, "/accounts/{number}/medical-certificates", response={201: MedicalOut},
       operation_id="record_medical_notice", summary="Record a medical emergency notice (disconnection postponed)")
def record_medical_notice(request, number: str, payload: MedicalIn):
    _can(request, RECORD, "record medical certificates")
    account = _account(number)
    row = act.record_medical_notice(
        user=request.auth, account=account, premise=_premise_of(account, payload.premise_id),
        notified_on=payload.notified_on, notice=payload.notice, delinquent_balance=payload.delinquent_balance,
        written_received_on=payload.written_received_on, certifier_title=payload.certifier_title,
        certifier_name=payload.certifier_name, certifier_phone=payload.certifier_phone, term_days=payload.term_days,
        remainder_agreed=payload.remainder_agreed)
    return Status(201, _medical_out(row))


def _certificate(certificate_id: int) -> MedicalCertificate:
    return found(MedicalCertificate.objects.select_related("account"),
                 f"There is no medical certificate {certificate_id}. Nothing was changed.", pk=certificate_id)


@write(router, "/medical-certificates/{certificate_id}/certify", response={200: MedicalOut},
       operation_id="certify_medical_certificate", summary="The written medical certificate arrived")
def certify_medical_certificate(request, certificate_id: int, payload: CertifyIn):
    _can(request, RECORD, "record medical certificates")
    row = act.certify_medical(user=request.auth, certificate=_certificate(certificate_id), **payload.dict())
    return Status(200, _medical_out(_certificate(row.pk)))


@write(router, "/medical-certificates/{certificate_id}", response={200: MedicalOut},
       operation_id="change_medical_certificate", summary="Change a certificate's term, agreement or certifier")
def change_medical_certificate(request, certificate_id: int, payload: MedicalChangeIn):
    _can(request, RECORD, "change medical certificates")
    row = act.change_medical_certificate(user=request.auth, certificate=_certificate(certificate_id), **payload.dict())
    return Status(200, _medical_out(_certificate(row.pk)))


@write(router, "/medical-certificates/{certificate_id}/close", response={200: MedicalOut},
       operation_id="close_medical_certificate", summary="Close a medical certificate before its term")
def close_medical_certificate(request, certificate_id: int, payload: EndIn):
    _can(request, RECORD, "close medical certificates")
    row = act.close_medical_certificate(user=request.auth, certificate=_certificate(certificate_id),
                                        closed_on=payload.on, reason=payload.reason)
    return Status(200, _medical_out(_certificate(row.pk)))


# --- disputes ------------------------------------------------------------------------------

class DisputeIn(Schema):
    model_config = examples({"opened_on": "2026-12-07", "reason": "read looks high", "bill_id": 5521,
                             "amount": "40.00"})
    opened_on: date
    reason: str
    bill_id: int | None = Field(None, description="the bill disputed; none: the account's charges in general")
    amount: str | None = None


class DisputeChangeIn(Schema):
    model_config = examples({"reason": "estimated read; asks for a re-read", "amount": "40.00"})
    reason: str
    amount: str | None = None


class DisputeCloseIn(Schema):
    model_config = examples({"on": "2026-12-12", "resolution": "re-read: the read was correct"})
    on: date
    resolution: str


class DisputeOut(Schema):
    model_config = examples({"id": 3, "account": "100234-7", "bill_id": 5521, "status": "open",
                             "opened_on": "2026-12-07", "reason": "read looks high", "amount": "40.00",
                             "closed_on": None, "resolution": ""})
    id: int
    account: str
    bill_id: int | None
    status: str
    opened_on: date
    reason: str
    amount: Decimal | None
    closed_on: date | None
    resolution: str


def _dispute_out(row: Dispute) -> DisputeOut:
    return DisputeOut(id=row.pk, account=row.account.number, bill_id=row.bill_id, status=row.status,
                      opened_on=row.opened_on, reason=row.reason, amount=row.amount, closed_on=row.closed_on,
                      resolution=row.resolution)


def _dispute(dispute_id: int) -> Dispute:
    return found(Dispute.objects.select_related("account"), f"There is no dispute {dispute_id}. Nothing was changed.",
                 pk=dispute_id)


@write(router, "/accounts/{number}/disputes", response={201: DisputeOut}, operation_id="open_dispute",
       summary="Open a billing dispute (holds disconnection while open)")
def open_dispute(request, number: str, payload: DisputeIn):
    _can(request, RECORD, "open disputes")
    account = _account(number)
    bill = None
    if payload.bill_id is not None:
        bill = Bill.objects.filter(pk=payload.bill_id, account=account).first()
        if bill is None:
            raise ProtectionError(f"Bill: {payload.bill_id} is not a bill of account {account.number}.")
    row = act.open_dispute(user=request.auth, account=account, opened_on=payload.opened_on, reason=payload.reason,
                           bill=bill, amount=payload.amount)
    return Status(201, _dispute_out(row))


@write(router, "/disputes/{dispute_id}", response={200: DisputeOut}, operation_id="change_dispute",
       summary="Reword an open dispute")
def change_dispute(request, dispute_id: int, payload: DisputeChangeIn):
    _can(request, RECORD, "change disputes")
    row = act.change_dispute(user=request.auth, dispute=_dispute(dispute_id), reason=payload.reason,
                             amount=payload.amount)
    return Status(200, _dispute_out(_dispute(row.pk)))


@write(router, "/disputes/{dispute_id}/close", response={200: DisputeOut}, operation_id="close_dispute",
       summary="Close a dispute with its resolution")
def close_dispute(request, dispute_id: int, payload: DisputeCloseIn):
    _can(request, RECORD, "close disputes")
    row = act.close_dispute(user=request.auth, dispute=_dispute(dispute_id), closed_on=payload.on,
                            resolution=payload.resolution)
    return Status(200, _dispute_out(_dispute(row.pk)))


class BillDisputedOut(Schema):
    model_config = examples({"bill_id": 5521, "disputed": True})
    bill_id: int
    disputed: bool = Field(description="an open dispute names this bill")


@read(router, "/bills/{bill_id}/disputed", response={200: BillDisputedOut}, operation_id="get_bill_disputed",
      summary="Whether a bill is disputed")
def get_bill_disputed(request, bill_id: int):
    _can(request, "account.view", "see disputes")
    bill = found(Bill, f"There is no bill {bill_id}.", pk=bill_id)
    return Status(200, BillDisputedOut(bill_id=bill.pk, disputed=bill_is_disputed(bill.pk)))


# --- winter protection ---------------------------------------------------------------------

_WINTER_VALUES = {"grantee": "Volunteers of America Western WA", "annual_income_figure": "2100.00",
                  "eligibility_documented_on": "2026-11-24", "heating_assistance_applied": True,
                  "weatherization_applied": False, "weatherization_unavailable": True,
                  "plan_agreed_on": "2026-11-25", "arrears_at_application": "340.00", "note": ""}


class WinterIn(Schema):
    model_config = examples({"premise_id": 41, "notified_on": "2026-11-20", **_WINTER_VALUES})
    premise_id: int
    notified_on: date = Field(description="the day the customer told us they cannot pay")
    grantee: str = ""
    annual_income_figure: str | None = Field(None, description="the grantee's figure: 7 % of annual income")
    eligibility_documented_on: date | None = None
    heating_assistance_applied: bool = False
    weatherization_applied: bool = False
    weatherization_unavailable: bool = False
    plan_agreed_on: date | None = None
    arrears_at_application: str | None = None
    note: str = ""


class WinterChangeIn(Schema):
    model_config = examples({"annual_income_figure": "2100.00", "eligibility_documented_on": "2026-11-24"})
    grantee: str | None = None
    annual_income_figure: str | None = None
    eligibility_documented_on: date | None = None
    heating_assistance_applied: bool | None = None
    weatherization_applied: bool | None = None
    weatherization_unavailable: bool | None = None
    plan_agreed_on: date | None = None
    arrears_at_application: str | None = None
    note: str | None = None


class WinterCloseIn(Schema):
    model_config = examples({"on": "2027-03-16", "reason": "paid"})
    on: date
    reason: str = Field(description="paid, defaulted, moved, withdrawn or entered_in_error")


class WinterOut(Schema):
    model_config = examples({"id": 2, "account": "100234-7", "premise_id": 41, "status": "open",
                             "season_start": "2026-11-15", "notified_on": "2026-11-20", **_WINTER_VALUES,
                             "closed_on": None, "close_reason": ""})
    id: int
    account: str
    premise_id: int
    status: str
    season_start: date
    notified_on: date
    grantee: str
    annual_income_figure: Decimal | None
    eligibility_documented_on: date | None
    heating_assistance_applied: bool
    weatherization_applied: bool
    weatherization_unavailable: bool
    plan_agreed_on: date | None
    arrears_at_application: Decimal | None
    note: str
    closed_on: date | None
    close_reason: str


def _winter_out(row: WinterProtection) -> WinterOut:
    names = ["status", "season_start", "notified_on", *_WINTER_VALUES, "closed_on", "close_reason"]
    return WinterOut(id=row.pk, account=row.account.number, premise_id=row.premise_id,
                     **{k: getattr(row, k) for k in names})


def _winter(protection_id: int) -> WinterProtection:
    return found(WinterProtection.objects.select_related("account"),
                 f"There is no winter-protection request {protection_id}. Nothing was changed.", pk=protection_id)


@write(router, "/accounts/{number}/winter-protection", response={201: WinterOut},
       operation_id="request_winter_protection", summary="Record a winter-protection request (RCW 54.16.285)")
def request_winter_protection(request, number: str, payload: WinterIn):
    _can(request, RECORD, "record winter protection")
    account = _account(number)
    values = payload.dict()
    premise = _premise_of(account, values.pop("premise_id"))
    notified_on = values.pop("notified_on")
    row = act.request_winter_protection(user=request.auth, account=account, premise=premise,
                                        notified_on=notified_on, **values)
    return Status(201, _winter_out(_winter(row.pk)))


@write(router, "/winter-protection/{protection_id}", response={200: WinterOut},
       operation_id="change_winter_protection", summary="Record a winter-protection request's progress")
def change_winter_protection(request, protection_id: int, payload: WinterChangeIn):
    _can(request, RECORD, "change winter protection")
    values = {k: v for k, v in payload.dict().items() if v is not None}
    row = act.change_winter_protection(user=request.auth, protection=_winter(protection_id), **values)
    return Status(200, _winter_out(_winter(row.pk)))


@write(router, "/winter-protection/{protection_id}/close", response={200: WinterOut},
       operation_id="close_winter_protection", summary="Close a winter-protection request")
def close_winter_protection(request, protection_id: int, payload: WinterCloseIn):
    _can(request, RECORD, "close winter protection")
    row = act.close_winter_protection(user=request.auth, protection=_winter(protection_id), closed_on=payload.on,
                                      reason=payload.reason)
    return Status(200, _winter_out(_winter(row.pk)))


# --- an account's protections and its decision ---------------------------------------------

class ProtectionsOut(Schema):
    model_config = examples({"account": "100234-7", "premises": [{"premise_id": 41, "zone": "WAZ558"}],
                             "medical_certificates": [_MEDICAL_EXAMPLE], "disputes": [], "winter_protection": [],
                             "landlords": []})
    account: str
    premises: list[ZoneOut]
    medical_certificates: list[MedicalOut]
    disputes: list[DisputeOut]
    winter_protection: list[WinterOut]
    landlords: list[LandlordOut]


@read(router, "/accounts/{number}/protections", response={200: ProtectionsOut}, operation_id="get_account_protections",
      summary="An account's protections from disconnection")
def get_account_protections(request, number: str):
    _can(request, "account.view", "see an account's protections")
    account = _account(number)
    premise_ids = [p.pk for p in premises_of(account)]
    zones = dict(PremiseZone.objects.filter(premise_id__in=premise_ids).values_list("premise_id", "zone"))
    return Status(200, ProtectionsOut(
        account=account.number,
        premises=[ZoneOut(premise_id=p, zone=zones.get(p)) for p in premise_ids],
        medical_certificates=[_medical_out(r) for r in MedicalCertificate.objects.filter(account=account)
                              .select_related("account")[:50]],
        disputes=[_dispute_out(r) for r in Dispute.objects.filter(account=account).select_related("account")[:50]],
        winter_protection=[_winter_out(r) for r in WinterProtection.objects.filter(account=account)
                           .select_related("account")[:20]],
        landlords=[_landlord_out(r) for r in RegisteredLandlord.objects.filter(premise_id__in=premise_ids)[:20]]))


class RuleOut(Schema):
    rule: str
    verdict: str = Field(description="blocks, allows or not_applicable")
    reason: str


class DecisionOut(Schema):
    model_config = examples({"date": "2026-07-08", "disconnect_allowed": False, "deciding_rule": "heat_alert",
                             "rules": [{"rule": "heat_alert", "verdict": "blocks",
                                        "reason": "The National Weather Service has a heat alert for zone WAZ558 "
                                                  "on Wednesday, July 8, 2026 …"}]})
    date: date
    disconnect_allowed: bool
    deciding_rule: str
    rules: list[RuleOut]


@read(router, "/accounts/{number}/disconnect-decision", response={200: DecisionOut, 409: Problem},
      operation_id="get_disconnect_decision",
      summary="May this account be disconnected on a date? The decision and every rule's reason")
def get_disconnect_decision(request, number: str, on: date | None = None):
    """The same decision as ``ratepayer collections explain ACCOUNT --date D --format json``."""
    _can(request, "account.view", "see disconnect decisions")
    account = _account(number)
    on = on or timezone.localdate()
    try:
        facts = facts_for_account(account.number, on)
    except CommandError as exc:
        raise ApiError(409, "nothing_to_decide", str(exc)) from exc
    return Status(200, DecisionOut(**decide_disconnect(facts, on).as_dict()))
