"""Recording what protects a customer from disconnection (DOMAIN §A.2, A.3, A.6.3).

Every function checks the user's capability (``account.maintain``), validates its input with a
message that names the field, changes the rows in one transaction and writes its audit row;
a refusal (``ProtectionError``) changes nothing. Status changes go through
``staff.transitions.change_status``. The console pages and the API call these same functions.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ratepayer.billing.models import Bill
from ratepayer.customers.models import Account, Premise, ServiceAgreement
from ratepayer.formats import heat_alerts as heat_format
from ratepayer.kernel.money import MAX_AMOUNT, MoneyError, check_amount, format_money, parse_amount
from ratepayer.kernel.periods import BusinessCalendar
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.transitions import change_status

from ..errors import HeatAlertsAlreadyImported, HeatAlertsRefused, ProtectionError
from ..models.protections import (
    NWS_ZONE,
    Dispute,
    HeatAlert,
    HeatAlertImport,
    HeatAlertKind,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)
from ..queries.protections import account_balance, season_start

CAPABILITY = "account.maintain"
# WAC 480-100-128 practice (DOMAIN §A.6.3): written certificate within 5 business days of the
# notice; 10 % of the delinquent balance within that grace period; the rest within 120 days;
# a certificate commonly stays effective 60 days.
MEDICAL_WRITTEN_BUSINESS_DAYS = 5
MEDICAL_PAYMENT_SHARE = Decimal("0.10")
MEDICAL_REMAINDER_DAYS = 120
MEDICAL_TERM_DAYS = 60
MEDICAL_MAX_TERM_DAYS = 120


def _require(user, doing: str) -> None:
    permissions.require(user, CAPABILITY, doing)


def _amount(value, what: str, *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ProtectionError(f"{what}: enter an amount.")
        return None
    try:
        if isinstance(value, str):
            return parse_amount(value, what=what, maximum=MAX_AMOUNT)
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        if not isinstance(value, Decimal):
            raise ProtectionError(f"{what}: {value!r} is not an amount.")
        return check_amount(value, what=what, maximum=MAX_AMOUNT)
    except MoneyError as exc:
        raise ProtectionError(str(exc)) from exc


def _text(value: str, what: str, *, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ProtectionError(f"{what}: required.")
    if len(text) > limit:
        raise ProtectionError(f"{what}: at most {limit} characters.")
    return text


def _day(value, what: str) -> date:
    if isinstance(value, date):
        return value
    raise ProtectionError(f"{what}: enter a date.")


def _not_future(day: date, what: str) -> None:
    if day > timezone.localdate():
        raise ProtectionError(f"{what}: {day} is in the future; record it when it has happened.")


def _zone(value: str) -> str:
    zone = (value or "").strip().upper()
    if not NWS_ZONE.match(zone):
        raise ProtectionError(f"Zone: {value!r} is not an NWS zone (like WAZ039, or county code WAC033).")
    return zone


def _premise_of_account(account: Account, premise: Premise) -> None:
    if not ServiceAgreement.objects.filter(account=account, service_point__premise=premise).exists():
        raise ProtectionError(f"Premise: {premise.address} is not served on account {account.number}.")


# --- heat alerts --------------------------------------------------------------------------

def _kind(value: str) -> str:
    kind = heat_format.kind_of(value or "")
    if kind is None:
        raise ProtectionError(f"Kind: {value!r} is not a heat alert kind "
                              f"({', '.join(label for _v, label in HeatAlertKind.choices)}).")
    return kind


def enter_heat_alert(*, user, zone: str, day: date, kind: str, note: str = "") -> HeatAlert:
    """Record that the NWS issued (or announced) a heat-related alert for a zone on a day."""
    _require(user, "enter heat alerts")
    zone, kind, day = _zone(zone), _kind(kind), _day(day, "Date")
    note = _text(note, "Note", limit=200, required=False)
    with transaction.atomic():
        if HeatAlert.objects.filter(zone=zone, day=day, kind=kind, status=HeatAlert.Status.ACTIVE).exists():
            raise ProtectionError(f"Date: a {HeatAlertKind(kind).label.lower()} for {zone} on {day} is already "
                                  "recorded.")
        alert = HeatAlert.objects.create(zone=zone, day=day, kind=kind, note=note, source=HeatAlert.Source.ENTERED,
                                         entered_by=user)
        audit.record(AuditAction.HEAT_ALERT_ENTERED, user_id=user.pk, obj=alert,
                     summary=f"{alert.get_kind_display()} for {zone} on {day}",
                     after={"zone": zone, "day": day, "kind": kind, "note": note})
    return alert


def change_heat_alert(*, user, alert: HeatAlert, kind: str, note: str = "") -> HeatAlert:
    """Correct an alert's kind or note (zone and day are its identity: withdraw and enter anew)."""
    _require(user, "change heat alerts")
    kind, note = _kind(kind), _text(note, "Note", limit=200, required=False)
    with transaction.atomic():
        alert = HeatAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.status != HeatAlert.Status.ACTIVE:
            raise ProtectionError(f"Heat alert #{alert.pk} was withdrawn; enter a new one instead.")
        before = {"kind": alert.kind, "note": alert.note}
        if kind != alert.kind and HeatAlert.objects.filter(zone=alert.zone, day=alert.day, kind=kind,
                                                           status=HeatAlert.Status.ACTIVE).exists():
            raise ProtectionError(f"Kind: a {HeatAlertKind(kind).label.lower()} for {alert.zone} on {alert.day} "
                                  "is already recorded.")
        alert.kind, alert.note = kind, note
        alert.save(update_fields=["kind", "note"])
        audit.record(AuditAction.HEAT_ALERT_CHANGED, user_id=user.pk, obj=alert,
                     summary=f"Heat alert {alert.zone} {alert.day} changed", before=before,
                     after={"kind": kind, "note": note})
    return alert


def withdraw_heat_alert(*, user, alert: HeatAlert, reason: str) -> HeatAlert:
    """Withdraw an alert entered in error (kept, so earlier decisions stay explainable)."""
    _require(user, "withdraw heat alerts")
    reason = _text(reason, "Reason", limit=200)
    with transaction.atomic():
        alert = HeatAlert.objects.select_for_update().get(pk=alert.pk)
        change_status(alert, HeatAlert.Status.WITHDRAWN, refused=ProtectionError,
                      what=f"Heat alert {alert.zone} {alert.day}",
                      fields={"withdrawn_by": user, "withdrawn_at": timezone.now(), "withdraw_reason": reason},
                      action=AuditAction.HEAT_ALERT_WITHDRAWN, user_id=user.pk,
                      summary=f"Heat alert {alert.zone} {alert.day} withdrawn: {reason}")
    return alert


def import_heat_alerts(*, user, content: bytes, file_name: str) -> HeatAlertImport:
    """Import a heat-alert days CSV (formats.heat_alerts): all rows or none. The same file twice is
    refused (``HeatAlertsAlreadyImported``); a row already recorded (entered by hand or in
    another file) is counted but not added again."""
    _require(user, "import heat alerts")
    name = (file_name or "heat-alerts.csv")[:200]
    digest = hashlib.sha256(content).hexdigest()
    earlier = HeatAlertImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        raise HeatAlertsAlreadyImported(
            f"{name}: this file was already imported on {timezone.localtime(earlier.imported_at):%Y-%m-%d %H:%M} "
            f"(as {earlier.file_name}); nothing was changed.")
    rows, problems = heat_format.parse(content, name=name)
    if problems:
        raise HeatAlertsRefused(name, problems)
    try:
        with transaction.atomic():
            batch = HeatAlertImport.objects.create(file_name=name, sha256=digest, rows=len(rows), imported_by=user)
            zones = {r.zone for r in rows}
            days = {r.day for r in rows}
            existing = set(HeatAlert.objects.filter(zone__in=zones, day__in=days, status=HeatAlert.Status.ACTIVE)
                           .values_list("zone", "day", "kind"))
            new = [HeatAlert(zone=r.zone, day=r.day, kind=r.kind, note=r.note, source=HeatAlert.Source.IMPORTED,
                             import_file=batch, entered_by=user)
                   for r in rows if (r.zone, r.day, r.kind) not in existing]
            HeatAlert.objects.bulk_create(new, batch_size=1000)
            batch.created = len(new)
            batch.save(update_fields=["created"])
            audit.record(AuditAction.HEAT_ALERTS_IMPORTED, user_id=user.pk, obj=batch,
                         summary=f"{name}: {len(rows)} heat-alert rows, {len(new)} new",
                         after={"rows": len(rows), "created": len(new), "sha256": digest})
    except IntegrityError as exc:  # the same file imported by someone else at the same moment
        raise HeatAlertsAlreadyImported(f"{name}: imported meanwhile by someone else; nothing was changed.") from exc
    return batch


def set_premise_zone(*, user, premise: Premise, zone: str) -> PremiseZone:
    """Set (or change) the NWS zone a premise lies in."""
    _require(user, "set a premise's weather zone")
    zone = _zone(zone)
    with transaction.atomic():
        current = PremiseZone.objects.select_for_update().filter(premise=premise).first()
        before = current.zone if current else None
        if current is None:
            current = PremiseZone.objects.create(premise=premise, zone=zone, set_by=user)
        elif current.zone != zone:
            current.zone, current.set_by = zone, user
            current.save(update_fields=["zone", "set_by", "updated_at"])
        else:
            return current
        audit.record(AuditAction.PREMISE_ZONE_SET, user_id=user.pk, obj=premise,
                     summary=f"{premise.address}: NWS zone {before or 'none'} → {zone}",
                     before={"zone": before}, after={"zone": zone})
    return current


def clear_premise_zone(*, user, premise: Premise) -> None:
    """Remove a premise's zone (it was wrong and the right one is not known)."""
    _require(user, "clear a premise's weather zone")
    with transaction.atomic():
        current = PremiseZone.objects.select_for_update().filter(premise=premise).first()
        if current is None:
            raise ProtectionError(f"Zone: {premise.address} has no NWS zone to clear.")
        before = current.zone
        current.delete()
        audit.record(AuditAction.PREMISE_ZONE_SET, user_id=user.pk, obj=premise,
                     summary=f"{premise.address}: NWS zone {before} cleared", before={"zone": before},
                     after={"zone": None})


# --- medical certificates -------------------------------------------------------------------

def _certifier(title: str, name: str, phone: str) -> tuple[str, str, str]:
    if title not in MedicalCertificate.CertifierTitle.values:
        raise ProtectionError("Certified by: the certificate must come from a licensed physician, nurse practitioner "
                              "or physician assistant.")
    return title, _text(name, "Certifier's name", limit=120), _text(phone, "Certifier's phone", limit=32)


def record_medical_notice(*, user, account: Account, premise: Premise, notified_on: date, notice: str,
                          delinquent_balance=None, written_received_on: date | None = None,
                          certifier_title: str = "", certifier_name: str = "", certifier_phone: str = "",
                          term_days: int = MEDICAL_TERM_DAYS, remainder_agreed: bool = False,
                          calendar: BusinessCalendar | None = None) -> MedicalCertificate:
    """Record a medical emergency notice (verbal or written). Disconnection is postponed at once;
    the written certificate is due within 5 business days; the 10 % payment and the 120-day
    agreement are computed from the delinquent balance (the account's balance when not given)."""
    _require(user, "record medical certificates")
    notified_on = _day(notified_on, "Notified on")
    _not_future(notified_on, "Notified on")
    if notice not in MedicalCertificate.Notice.values:
        raise ProtectionError("Notice: verbal or written.")
    if not isinstance(term_days, int) or not 1 <= term_days <= MEDICAL_MAX_TERM_DAYS:
        raise ProtectionError(f"Term: between 1 and {MEDICAL_MAX_TERM_DAYS} days.")
    _premise_of_account(account, premise)
    balance = _amount(delinquent_balance, "Delinquent balance", required=False)
    if balance is None:
        balance = account_balance(account)
    calendar = calendar or BusinessCalendar()
    due = calendar.add_business_days(notified_on, MEDICAL_WRITTEN_BUSINESS_DAYS)
    status = MedicalCertificate.Status.AWAITING_WRITTEN
    title = name = phone = ""
    if written_received_on is not None:
        written_received_on = _day(written_received_on, "Written certificate received")
        _not_future(written_received_on, "Written certificate received")
        if written_received_on < notified_on:
            raise ProtectionError("Written certificate received: cannot be before the notice.")
        if written_received_on > due:
            raise ProtectionError(f"Written certificate received: {written_received_on} is after the 5-business-day "
                                  f"window, which closed {due}.")
        title, name, phone = _certifier(certifier_title, certifier_name, certifier_phone)
        status = MedicalCertificate.Status.CERTIFIED
    required = (balance * MEDICAL_PAYMENT_SHARE).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        if MedicalCertificate.objects.filter(account=account, premise=premise, expires_on__gte=notified_on) \
                .exclude(status=MedicalCertificate.Status.CLOSED).exists():
            raise ProtectionError(f"Notified on: account {account.number} already has a medical certificate in "
                                  "effect at this premise; change or close that one.")
        cert = MedicalCertificate.objects.create(
            account=account, premise=premise, status=status, notified_on=notified_on, notice=notice,
            written_due_on=due, written_received_on=written_received_on, certifier_title=title,
            certifier_name=name, certifier_phone=phone, effective_from=notified_on,
            expires_on=notified_on + timedelta(days=term_days), delinquent_balance=balance,
            required_payment=required, payment_due_on=due, remainder_agreed=bool(remainder_agreed),
            remainder_due_on=notified_on + timedelta(days=MEDICAL_REMAINDER_DAYS), created_by=user)
        audit.record(AuditAction.MEDICAL_CERTIFICATE_RECORDED, user_id=user.pk, obj=cert, account_id=account.pk,
                     summary=f"Medical emergency ({notice}) noted {notified_on}; written certificate due {due}; "
                             f"{format_money(required)} due by {due}",
                     after={"status": status, "notified_on": notified_on, "expires_on": cert.expires_on,
                            "delinquent_balance": balance, "required_payment": required})
    return cert


def certify_medical(*, user, certificate: MedicalCertificate, received_on: date, certifier_title: str,
                    certifier_name: str, certifier_phone: str) -> MedicalCertificate:
    """The written certificate arrived (within the 5-business-day window)."""
    _require(user, "record medical certificates")
    received_on = _day(received_on, "Received on")
    _not_future(received_on, "Received on")
    title, name, phone = _certifier(certifier_title, certifier_name, certifier_phone)
    with transaction.atomic():
        cert = MedicalCertificate.objects.select_for_update().get(pk=certificate.pk)
        if received_on < cert.notified_on:
            raise ProtectionError("Received on: cannot be before the notice.")
        if received_on > cert.written_due_on:
            raise ProtectionError(f"Received on: {received_on} is after the 5-business-day window, which closed "
                                  f"{cert.written_due_on}; close this notice and record a new one.")
        change_status(cert, MedicalCertificate.Status.CERTIFIED, refused=ProtectionError,
                      fields={"written_received_on": received_on, "certifier_title": title,
                              "certifier_name": name, "certifier_phone": phone},
                      action=AuditAction.MEDICAL_CERTIFICATE_CERTIFIED, user_id=user.pk, account_id=cert.account_id,
                      summary=f"Written medical certificate received {received_on} "
                              f"({MedicalCertificate.CertifierTitle(title).label} {name})")
    return cert


def change_medical_certificate(*, user, certificate: MedicalCertificate, expires_on: date | None = None,
                               remainder_agreed: bool | None = None, certifier_name: str | None = None,
                               certifier_phone: str | None = None) -> MedicalCertificate:
    """Correct the term, the 120-day agreement or the certifier's contact."""
    _require(user, "change medical certificates")
    with transaction.atomic():
        cert = MedicalCertificate.objects.select_for_update().get(pk=certificate.pk)
        if cert.status == MedicalCertificate.Status.CLOSED:
            raise ProtectionError(f"Medical certificate #{cert.pk} is closed; record a new notice instead.")
        before = {"expires_on": cert.expires_on, "remainder_agreed": cert.remainder_agreed,
                  "certifier_name": cert.certifier_name, "certifier_phone": cert.certifier_phone}
        if expires_on is not None:
            expires_on = _day(expires_on, "Expires on")
            if expires_on < cert.effective_from:
                raise ProtectionError("Expires on: cannot be before the certificate takes effect.")
            if (expires_on - cert.effective_from).days > MEDICAL_MAX_TERM_DAYS:
                raise ProtectionError(f"Expires on: at most {MEDICAL_MAX_TERM_DAYS} days after "
                                      f"{cert.effective_from}.")
            cert.expires_on = expires_on
        if remainder_agreed is not None:
            cert.remainder_agreed = bool(remainder_agreed)
        if certifier_name is not None and cert.status == MedicalCertificate.Status.CERTIFIED:
            cert.certifier_name = _text(certifier_name, "Certifier's name", limit=120)
        if certifier_phone is not None and cert.status == MedicalCertificate.Status.CERTIFIED:
            cert.certifier_phone = _text(certifier_phone, "Certifier's phone", limit=32)
        after = {"expires_on": cert.expires_on, "remainder_agreed": cert.remainder_agreed,
                 "certifier_name": cert.certifier_name, "certifier_phone": cert.certifier_phone}
        if after == before:
            return cert
        cert.save(update_fields=["expires_on", "remainder_agreed", "certifier_name", "certifier_phone"])
        audit.record(AuditAction.MEDICAL_CERTIFICATE_CHANGED, user_id=user.pk, obj=cert, account_id=cert.account_id,
                     summary=f"Medical certificate #{cert.pk} changed", before=before, after=after)
    return cert


def close_medical_certificate(*, user, certificate: MedicalCertificate, closed_on: date,
                              reason: str) -> MedicalCertificate:
    """End the hold before its term (the emergency is over, the notice was wrong, ...)."""
    _require(user, "close medical certificates")
    closed_on = _day(closed_on, "Closed on")
    reason = _text(reason, "Reason", limit=200)
    with transaction.atomic():
        cert = MedicalCertificate.objects.select_for_update().get(pk=certificate.pk)
        if closed_on < cert.notified_on:
            raise ProtectionError("Closed on: cannot be before the notice.")
        change_status(cert, MedicalCertificate.Status.CLOSED, refused=ProtectionError,
                      fields={"closed_on": closed_on, "close_reason": reason},
                      action=AuditAction.MEDICAL_CERTIFICATE_CLOSED, user_id=user.pk, account_id=cert.account_id,
                      summary=f"Medical certificate #{cert.pk} closed {closed_on}: {reason}")
    return cert


# --- disputes --------------------------------------------------------------------------------

def open_dispute(*, user, account: Account, opened_on: date, reason: str, bill: Bill | None = None,
                 amount=None) -> Dispute:
    """Open a billing dispute: disconnection of the account is held while it is open."""
    _require(user, "open disputes")
    opened_on = _day(opened_on, "Opened on")
    _not_future(opened_on, "Opened on")
    reason = _text(reason, "Reason", limit=300)
    amount = _amount(amount, "Amount disputed", required=False)
    if bill is not None and bill.account_id != account.pk:
        raise ProtectionError(f"Bill: bill {bill.pk} is not a bill of account {account.number}.")
    if bill is not None and bill.status != Bill.Status.ISSUED:
        raise ProtectionError(f"Bill: bill {bill.pk} is {bill.get_status_display().lower()}; only an issued bill "
                              "can be disputed.")
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        if bill is not None and Dispute.objects.filter(bill=bill, status=Dispute.Status.OPEN).exists():
            raise ProtectionError(f"Bill: bill {bill.pk} is already disputed.")
        dispute = Dispute.objects.create(account=account, bill=bill, opened_on=opened_on, reason=reason,
                                         amount=amount, created_by=user)
        audit.record(AuditAction.DISPUTE_OPENED, user_id=user.pk, obj=dispute, account_id=account.pk,
                     summary=f"Dispute opened {opened_on}" + (f" on bill {bill.pk}" if bill else "") + f": {reason}",
                     after={"bill": bill.pk if bill else None, "amount": amount, "reason": reason})
    return dispute


def change_dispute(*, user, dispute: Dispute, reason: str, amount=None) -> Dispute:
    """Reword an open dispute's reason or amount."""
    _require(user, "change disputes")
    reason = _text(reason, "Reason", limit=300)
    amount = _amount(amount, "Amount disputed", required=False)
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.status != Dispute.Status.OPEN:
            raise ProtectionError(f"Dispute #{dispute.pk} is closed and cannot be changed.")
        before = {"reason": dispute.reason, "amount": dispute.amount}
        dispute.reason, dispute.amount = reason, amount
        dispute.save(update_fields=["reason", "amount"])
        audit.record(AuditAction.DISPUTE_CHANGED, user_id=user.pk, obj=dispute, account_id=dispute.account_id,
                     summary=f"Dispute #{dispute.pk} changed", before=before,
                     after={"reason": reason, "amount": amount})
    return dispute


def close_dispute(*, user, dispute: Dispute, closed_on: date, resolution: str) -> Dispute:
    """Close a dispute with its resolution; disconnection is no longer held by it."""
    _require(user, "close disputes")
    closed_on = _day(closed_on, "Closed on")
    _not_future(closed_on, "Closed on")
    resolution = _text(resolution, "Resolution", limit=300)
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if closed_on < dispute.opened_on:
            raise ProtectionError(f"Closed on: cannot be before the dispute was opened ({dispute.opened_on}).")
        change_status(dispute, Dispute.Status.CLOSED, refused=ProtectionError,
                      fields={"closed_on": closed_on, "resolution": resolution},
                      action=AuditAction.DISPUTE_CLOSED, user_id=user.pk, account_id=dispute.account_id,
                      summary=f"Dispute #{dispute.pk} closed {closed_on}: {resolution}")
    return dispute


# --- winter protection -----------------------------------------------------------------------

_WINTER_FIELDS = ("grantee", "annual_income_figure", "eligibility_documented_on", "heating_assistance_applied",
                  "weatherization_applied", "weatherization_unavailable", "plan_agreed_on", "arrears_at_application",
                  "note")


def _winter_values(values: dict, notified_on: date) -> dict:
    unknown = sorted(set(values) - set(_WINTER_FIELDS))
    if unknown:
        raise ProtectionError(f"Winter protection: unknown field(s) {', '.join(unknown)}.")
    clean: dict = {}
    for name, value in values.items():
        if name == "grantee":
            clean[name] = _text(value or "", "Grantee", limit=120, required=False)
        elif name == "note":
            clean[name] = _text(value or "", "Note", limit=300, required=False)
        elif name == "annual_income_figure":
            clean[name] = _amount(value, "7 % of annual income (grantee's figure)", required=False)
        elif name == "arrears_at_application":
            clean[name] = _amount(value, "Arrears at application", required=False)
        elif name in ("eligibility_documented_on", "plan_agreed_on"):
            label = {"eligibility_documented_on": "Eligibility documented on", "plan_agreed_on": "Plan agreed on"}[name]
            if value is not None:
                value = _day(value, label)
                _not_future(value, label)
                if value < notified_on:
                    raise ProtectionError(f"{label}: cannot be before the customer notified the utility "
                                          f"({notified_on}).")
            clean[name] = value
        else:
            clean[name] = bool(value)
    if clean.get("eligibility_documented_on") and clean.get("annual_income_figure") is None:
        raise ProtectionError("7 % of annual income (grantee's figure): eligibility is documented by the grantee's "
                              "figure; enter it.")
    if clean.get("weatherization_applied") and clean.get("weatherization_unavailable"):
        raise ProtectionError("Weatherization: either applied for or not available, not both.")
    return clean


def request_winter_protection(*, user, account: Account, premise: Premise, notified_on: date,
                              **values) -> WinterProtection:
    """Record a customer's winter-protection request (RCW 54.16.285(1)); a late request is
    recorded all the same — it protects from the day it is complete."""
    _require(user, "record winter protection")
    notified_on = _day(notified_on, "Notified on")
    _not_future(notified_on, "Notified on")
    _premise_of_account(account, premise)
    clean = _winter_values(values, notified_on)
    season = season_start(notified_on)
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        if WinterProtection.objects.filter(account=account, season_start=season,
                                           status=WinterProtection.Status.OPEN).exists():
            raise ProtectionError(f"Notified on: account {account.number} already has an open winter-protection "
                                  f"request for the winter from {season}; change that one.")
        protection = WinterProtection.objects.create(account=account, premise=premise, season_start=season,
                                                     notified_on=notified_on, created_by=user, **clean)
        audit.record(AuditAction.WINTER_PROTECTION_REQUESTED, user_id=user.pk, obj=protection, account_id=account.pk,
                     summary=f"Winter protection requested {notified_on} for the winter from {season}",
                     after={"notified_on": notified_on, **clean})
    return protection


def change_winter_protection(*, user, protection: WinterProtection, **values) -> WinterProtection:
    """Record the request's progress: the grantee's figure, assistance applied, plan agreed."""
    _require(user, "change winter protection")
    with transaction.atomic():
        protection = WinterProtection.objects.select_for_update().get(pk=protection.pk)
        if protection.status != WinterProtection.Status.OPEN:
            raise ProtectionError(f"Winter protection #{protection.pk} is closed and cannot be changed.")
        merged = {name: getattr(protection, name) for name in _WINTER_FIELDS} | values
        clean = _winter_values(merged, protection.notified_on)
        before = {name: getattr(protection, name) for name in _WINTER_FIELDS}
        if clean == before:
            return protection
        for name, value in clean.items():
            setattr(protection, name, value)
        protection.save(update_fields=list(_WINTER_FIELDS))
        audit.record(AuditAction.WINTER_PROTECTION_CHANGED, user_id=user.pk, obj=protection,
                     account_id=protection.account_id, summary=f"Winter protection #{protection.pk} changed",
                     before={k: v for k, v in before.items() if clean[k] != v},
                     after={k: v for k, v in clean.items() if before[k] != v})
    return protection


def close_winter_protection(*, user, protection: WinterProtection, closed_on: date, reason: str) -> WinterProtection:
    """Close a request: paid, defaulted, moved, withdrawn or entered in error."""
    _require(user, "close winter protection")
    closed_on = _day(closed_on, "Closed on")
    if reason not in WinterProtection.CloseReason.values:
        raise ProtectionError(f"Reason: one of {', '.join(WinterProtection.CloseReason.values)}.")
    with transaction.atomic():
        protection = WinterProtection.objects.select_for_update().get(pk=protection.pk)
        if closed_on < protection.notified_on:
            raise ProtectionError(f"Closed on: cannot be before the request ({protection.notified_on}).")
        change_status(protection, WinterProtection.Status.CLOSED, refused=ProtectionError,
                      fields={"closed_on": closed_on, "close_reason": reason},
                      action=AuditAction.WINTER_PROTECTION_CLOSED, user_id=user.pk, account_id=protection.account_id,
                      summary=f"Winter protection #{protection.pk} closed {closed_on}: "
                              f"{WinterProtection.CloseReason(reason).label}")
    return protection


# --- registered landlords (water-sewer districts) -----------------------------------------

_LANDLORD_FIELDS = {"owner_name": ("Owner's name", 200, True), "mailing_line1": ("Mailing address", 120, True),
                    "mailing_line2": ("Mailing address line 2", 120, False), "mailing_city": ("City", 60, True),
                    "mailing_state": ("State", 2, True), "mailing_zip": ("ZIP", 10, True),
                    "phone": ("Phone", 32, False), "email": ("E-mail", 254, False)}


def _landlord_values(values: dict) -> dict:
    unknown = sorted(set(values) - set(_LANDLORD_FIELDS))
    if unknown:
        raise ProtectionError(f"Landlord: unknown field(s) {', '.join(unknown)}.")
    clean = {name: _text(values.get(name, ""), label, limit=limit, required=required)
             for name, (label, limit, required) in _LANDLORD_FIELDS.items()}
    clean["mailing_state"] = clean["mailing_state"].upper()
    return clean


def register_landlord(*, user, premise: Premise, request_received_on: date, **values) -> RegisteredLandlord:
    """Register an owner's written request to be told of a tenant's delinquency (a complete
    mailing address is required by RCW 57.08.081(7))."""
    _require(user, "register landlords")
    request_received_on = _day(request_received_on, "Written request received")
    _not_future(request_received_on, "Written request received")
    clean = _landlord_values(values)
    with transaction.atomic():
        if RegisteredLandlord.objects.select_for_update().filter(premise=premise,
                                                                 status=RegisteredLandlord.Status.ACTIVE).exists():
            raise ProtectionError(f"Premise: {premise.address} already has a registered landlord; change or end "
                                  "that registration.")
        landlord = RegisteredLandlord.objects.create(premise=premise, request_received_on=request_received_on,
                                                     created_by=user, **clean)
        audit.record(AuditAction.LANDLORD_REGISTERED, user_id=user.pk, obj=landlord,
                     summary=f"{clean['owner_name']} registered as landlord of {premise.address}",
                     after={"request_received_on": request_received_on, **clean})
    return landlord


def change_landlord(*, user, landlord: RegisteredLandlord, **values) -> RegisteredLandlord:
    """Change a registered landlord's name, address or contact."""
    _require(user, "change registered landlords")
    with transaction.atomic():
        landlord = RegisteredLandlord.objects.select_for_update().get(pk=landlord.pk)
        if landlord.status != RegisteredLandlord.Status.ACTIVE:
            raise ProtectionError(f"Registered landlord #{landlord.pk} has ended; register anew instead.")
        before = {name: getattr(landlord, name) for name in _LANDLORD_FIELDS}
        clean = _landlord_values(before | values)
        if clean == before:
            return landlord
        for name, value in clean.items():
            setattr(landlord, name, value)
        landlord.save(update_fields=list(_LANDLORD_FIELDS))
        audit.record(AuditAction.LANDLORD_CHANGED, user_id=user.pk, obj=landlord,
                     summary=f"Registered landlord {landlord.owner_name} changed",
                     before={k: v for k, v in before.items() if clean[k] != v},
                     after={k: v for k, v in clean.items() if before[k] != v})
    return landlord


def end_landlord(*, user, landlord: RegisteredLandlord, ended_on: date, reason: str) -> RegisteredLandlord:
    """End a registration (the owner sold the property or withdrew the request)."""
    _require(user, "end landlord registrations")
    ended_on = _day(ended_on, "Ended on")
    reason = _text(reason, "Reason", limit=200)
    with transaction.atomic():
        landlord = RegisteredLandlord.objects.select_for_update().get(pk=landlord.pk)
        if ended_on < landlord.request_received_on:
            raise ProtectionError(f"Ended on: cannot be before the request ({landlord.request_received_on}).")
        change_status(landlord, RegisteredLandlord.Status.ENDED, refused=ProtectionError,
                      what=f"Registered landlord {landlord.owner_name}",
                      fields={"ended_on": ended_on, "end_reason": reason},
                      action=AuditAction.LANDLORD_ENDED, user_id=user.pk,
                      summary=f"Registered landlord {landlord.owner_name} ended {ended_on}: {reason}")
    return landlord
