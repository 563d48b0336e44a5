"""Console pages of the protections from disconnection: the register of open protections, one
account's protections (with today's disconnect decision and every rule's reason), and the
heat-alert days (entry, CSV import, withdrawal). Views read the form, call the action and
redirect; the checks are the actions', so a refused action changes nothing whatever the page
showed, and the clerk sees the action's own sentence."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.management.base import CommandError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ratepayer.billing.models import Bill
from ratepayer.customers.models import Account, Premise
from ratepayer.kernel.money import format_money
from ratepayer.staff import permissions
from ratepayer.staff.views import staff_page

from ..actions import protections as act
from ..disconnect_rules import decide_disconnect
from ..errors import ProtectionError
from ..facts import facts_for_account
from ..models.protections import (
    Dispute,
    HeatAlert,
    HeatAlertImport,
    HeatAlertKind,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)
from ..queries.protections import premises_of

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _date(text: str | None, what: str, *, required: bool = True) -> date | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise ProtectionError(f"{what}: enter a date (YYYY-MM-DD).")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ProtectionError(f"{what}: {text!r} is not a date YYYY-MM-DD.") from None


def _one(model, pk, what: str, **filters):
    row = model.objects.filter(pk=pk or 0, **filters).first() if str(pk or "").isdigit() else None
    if row is None:
        raise ProtectionError(f"{what}: not found on this account; reload the page.")
    return row


@staff_page(capability="account.view", doing="see protections from disconnection")
def register(request):
    """Open protections across accounts, and a box to go to an account."""
    number = request.GET.get("account", "").strip()
    if number:
        if Account.objects.filter(number=number).exists():
            return redirect("collections:protections_account", number=number)
        messages.error(request, f"Account: there is no account number {number!r}.")
    certificates = (MedicalCertificate.objects.exclude(status="closed").select_related("account__customer")
                    .order_by("expires_on")[:200])
    disputes = Dispute.objects.filter(status="open").select_related("account__customer").order_by("opened_on")[:200]
    winter = (WinterProtection.objects.filter(status="open").select_related("account__customer")
              .order_by("-season_start", "notified_on")[:200])
    landlords = RegisteredLandlord.objects.filter(status="active").select_related("premise").order_by("owner_name")[:200]
    return render(request, "collections/protections/register.html", {
        "certificates": certificates, "disputes": disputes, "winter": winter, "landlords": landlords,
        "today": timezone.localdate(), "number": number})


def _decision(account: Account, on: date):
    try:
        return decide_disconnect(facts_for_account(account.number, on), on)
    except CommandError:
        return None


@staff_page(capability="account.view", doing="see an account's protections from disconnection")
def account_protections(request, number):
    account = get_object_or_404(Account.objects.select_related("customer"), number=number)
    if request.method == "POST":
        permissions.require(request.user, act.CAPABILITY, "record protections from disconnection")
        try:
            messages.success(request, _post(request, account))
        except ProtectionError as exc:
            messages.error(request, str(exc))
        return redirect("collections:protections_account", number=account.number)
    today = timezone.localdate()
    premises = premises_of(account)
    premise_ids = [p.pk for p in premises]
    zones = dict(PremiseZone.objects.filter(premise_id__in=premise_ids).values_list("premise_id", "zone"))
    landlords = {row.premise_id: row for row in RegisteredLandlord.objects.filter(premise_id__in=premise_ids,
                                                                                    status="active")}
    rows = [{"premise": p, "zone": zones.get(p.pk, ""), "landlord": landlords.get(p.pk)} for p in premises]
    return render(request, "collections/protections/account.html", {
        "account": account, "today": today, "premises": rows,
        "decision": _decision(account, today),
        "certificates": MedicalCertificate.objects.filter(account=account).select_related("premise")[:20],
        "disputes": Dispute.objects.filter(account=account)[:20],
        "winter": WinterProtection.objects.filter(account=account).select_related("premise")[:10],
        "bills": Bill.objects.filter(account=account, status="issued").order_by("-bill_date")[:12],
        "can_record": permissions.has(request.user, act.CAPABILITY),
        "certifier_titles": MedicalCertificate.CertifierTitle.choices,
        "close_reasons": WinterProtection.CloseReason.choices,
        "balance": act.account_balance(account),
    })


def _premise(account: Account, pk) -> Premise:
    premise = next((p for p in premises_of(account) if str(p.pk) == str(pk)), None)
    if premise is None:
        raise ProtectionError("Premise: choose one of the account's premises.")
    return premise


def _post(request, account: Account) -> str:
    p, user, op = request.POST, request.user, request.POST.get("op", "")
    if op == "zone":
        premise = _premise(account, p.get("premise"))
        if p.get("zone", "").strip():
            zone = act.set_premise_zone(user=user, premise=premise, zone=p.get("zone", ""))
            return f"{premise.address} is in NWS zone {zone.zone}."
        act.clear_premise_zone(user=user, premise=premise)
        return f"{premise.address}: zone cleared."
    if op == "medical":
        cert = act.record_medical_notice(
            user=user, account=account, premise=_premise(account, p.get("premise")),
            notified_on=_date(p.get("notified_on"), "Notified on"), notice=p.get("notice", ""),
            delinquent_balance=p.get("delinquent_balance") or None,
            written_received_on=_date(p.get("written_received_on"), "Written certificate received", required=False),
            certifier_title=p.get("certifier_title", ""), certifier_name=p.get("certifier_name", ""),
            certifier_phone=p.get("certifier_phone", ""), remainder_agreed=p.get("remainder_agreed") == "1")
        return (f"Medical emergency recorded: disconnection postponed; written certificate and "
                f"{format_money(cert.required_payment)} due by {cert.written_due_on}.")
    if op == "certify":
        cert = _one(MedicalCertificate, p.get("id"), "Medical certificate", account=account)
        act.certify_medical(user=user, certificate=cert, received_on=_date(p.get("received_on"), "Received on"),
                            certifier_title=p.get("certifier_title", ""), certifier_name=p.get("certifier_name", ""),
                            certifier_phone=p.get("certifier_phone", ""))
        return f"Written certificate recorded; protected through {cert.expires_on}."
    if op == "medical_change":
        cert = _one(MedicalCertificate, p.get("id"), "Medical certificate", account=account)
        act.change_medical_certificate(user=user, certificate=cert,
                                       expires_on=_date(p.get("expires_on"), "Expires on", required=False),
                                       remainder_agreed=p.get("remainder_agreed") == "1")
        return f"Medical certificate #{cert.pk} saved."
    if op == "medical_close":
        cert = _one(MedicalCertificate, p.get("id"), "Medical certificate", account=account)
        act.close_medical_certificate(user=user, certificate=cert,
                                      closed_on=_date(p.get("closed_on"), "Closed on"), reason=p.get("reason", ""))
        return f"Medical certificate #{cert.pk} closed."
    if op == "dispute":
        bill = _one(Bill, p.get("bill"), "Bill", account=account) if p.get("bill") else None
        dispute = act.open_dispute(user=user, account=account, bill=bill,
                                   opened_on=_date(p.get("opened_on"), "Opened on"), reason=p.get("reason", ""),
                                   amount=p.get("amount") or None)
        return f"Dispute #{dispute.pk} opened: disconnection is held while it is open."
    if op == "dispute_change":
        dispute = _one(Dispute, p.get("id"), "Dispute", account=account)
        act.change_dispute(user=user, dispute=dispute, reason=p.get("reason", ""), amount=p.get("amount") or None)
        return f"Dispute #{dispute.pk} saved."
    if op == "dispute_close":
        dispute = _one(Dispute, p.get("id"), "Dispute", account=account)
        act.close_dispute(user=user, dispute=dispute, closed_on=_date(p.get("closed_on"), "Closed on"),
                          resolution=p.get("resolution", ""))
        return f"Dispute #{dispute.pk} closed."
    if op in ("winter", "winter_change"):
        values = {
            "grantee": p.get("grantee", ""), "note": p.get("note", ""),
            "annual_income_figure": p.get("annual_income_figure") or None,
            "arrears_at_application": p.get("arrears_at_application") or None,
            "eligibility_documented_on": _date(p.get("eligibility_documented_on"), "Eligibility documented on",
                                               required=False),
            "plan_agreed_on": _date(p.get("plan_agreed_on"), "Plan agreed on", required=False),
            "heating_assistance_applied": p.get("heating_assistance_applied") == "1",
            "weatherization_applied": p.get("weatherization_applied") == "1",
            "weatherization_unavailable": p.get("weatherization_unavailable") == "1",
        }
        if op == "winter":
            request_row = act.request_winter_protection(
                user=user, account=account, premise=_premise(account, p.get("premise")),
                notified_on=_date(p.get("notified_on"), "Notified on"), **values)
            return f"Winter-protection request recorded for the winter from {request_row.season_start}."
        row = _one(WinterProtection, p.get("id"), "Winter protection", account=account)
        act.change_winter_protection(user=user, protection=row, **values)
        return f"Winter protection #{row.pk} saved."
    if op == "winter_close":
        row = _one(WinterProtection, p.get("id"), "Winter protection", account=account)
        act.close_winter_protection(user=user, protection=row, closed_on=_date(p.get("closed_on"), "Closed on"),
                                    reason=p.get("reason", ""))
        return f"Winter protection #{row.pk} closed."
    if op == "landlord":
        premise = _premise(account, p.get("premise"))
        fields = {name: p.get(name, "") for name in ("owner_name", "mailing_line1", "mailing_line2", "mailing_city",
                                                     "mailing_state", "mailing_zip", "phone", "email")}
        landlord = act.register_landlord(user=user, premise=premise, request_received_on=_date(
            p.get("request_received_on"), "Written request received"), **fields)
        return f"{landlord.owner_name} registered: delinquency notices at {premise.address} are copied to them."
    if op == "landlord_end":
        premise_ids = [pr.pk for pr in premises_of(account)]
        landlord = _one(RegisteredLandlord, p.get("id"), "Registered landlord", premise_id__in=premise_ids)
        act.end_landlord(user=user, landlord=landlord, ended_on=_date(p.get("ended_on"), "Ended on"),
                         reason=p.get("reason", ""))
        return f"Registration of {landlord.owner_name} ended."
    raise ProtectionError("Nothing was changed: unknown action.")


@staff_page(capability="account.view", doing="see heat-alert days")
def heat_alerts(request):
    if request.method == "POST":
        permissions.require(request.user, act.CAPABILITY, "enter heat alerts")
        p, user, op = request.POST, request.user, request.POST.get("op", "")
        try:
            if op == "enter":
                alert = act.enter_heat_alert(user=user, zone=p.get("zone", ""), day=_date(p.get("day"), "Date"),
                                             kind=p.get("kind", ""), note=p.get("note", ""))
                messages.success(request, f"{alert.get_kind_display()} recorded for {alert.zone} on {alert.day}.")
            elif op == "withdraw":
                alert = _one(HeatAlert, p.get("id"), "Heat alert")
                act.withdraw_heat_alert(user=user, alert=alert, reason=p.get("reason", ""))
                messages.success(request, f"Heat alert {alert.zone} {alert.day} withdrawn.")
            elif op == "import":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ProtectionError("File: choose the heat-alert days CSV to import.")
                if upload.size > MAX_UPLOAD_BYTES:
                    raise ProtectionError(f"File: {upload.name} is larger than 5 MB; split it.")
                batch = act.import_heat_alerts(user=user, content=upload.read(), file_name=upload.name)
                messages.success(request, f"{batch.file_name}: {batch.rows} alert day(s) read, {batch.created} new.")
            else:
                raise ProtectionError("Nothing was changed: unknown action.")
        except ProtectionError as exc:
            for line in getattr(exc, "problems", None) or [str(exc)]:
                messages.error(request, line if not getattr(exc, "problems", None) else f"{exc.file_name}: {line}")
        return redirect("collections:heat_alerts")
    today = timezone.localdate()
    zone = request.GET.get("zone", "").strip().upper()
    alerts = HeatAlert.objects.filter(day__gte=today - timedelta(days=60)).select_related("entered_by")
    if zone:
        alerts = alerts.filter(zone=zone)
    zone_counts = {}
    for z in PremiseZone.objects.values_list("zone", flat=True):
        zone_counts[z] = zone_counts.get(z, 0) + 1
    return render(request, "collections/protections/heat_alerts.html", {
        "alerts": alerts.order_by("-day", "zone")[:300], "today": today, "zone": zone,
        "kinds": HeatAlertKind.choices, "imports": HeatAlertImport.objects.select_related("imported_by")[:10],
        "zones": sorted(zone_counts.items()), "can_record": permissions.has(request.user, act.CAPABILITY),
        "today_zones": sorted(set(HeatAlert.objects.filter(day=today, status="active").values_list("zone", flat=True))),
    })
