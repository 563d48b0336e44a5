"""Console pages for closed accounts that still owe: the worklist, one closed
account (deposit, transfer, agency, write-off, lien), agencies and their files,
write-offs, liens. Views read the form, call the action and render; the rules
live in the actions, so a refused action changes nothing whatever the page showed."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ratepayer.customers.models import Account, Premise
from ratepayer.kernel.money import format_money
from ratepayer.payments.errors import PaymentError
from ratepayer.staff import permissions
from ratepayer.staff.errors import ApprovalError
from ratepayer.staff.views import staff_page

from ..actions import writeoffs as actions
from ..actions.writeoffs import WriteOffError
from ..models import AgencyAssignment, AgencyFile, CollectionAgency, LienCertification, WriteOff
from ..queries import writeoffs as queries

REFUSALS = (WriteOffError, PaymentError, ApprovalError)


def _date(text: str | None, what: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WriteOffError(f"{what}: {text!r} is not a date YYYY-MM-DD.") from None


@staff_page(capability="account.view", doing="see closed accounts")
def closed_accounts(request):
    step = request.GET.get("step") or None
    if step not in queries.STEP_LABELS:
        step = None
    worklist = queries.closed_accounts(step)
    return render(request, "collections/closed/worklist.html", {
        "worklist": worklist, "step": step, "step_label": queries.STEP_LABELS.get(step, ""),
        "total_count": sum(worklist.counts.values())})


@staff_page(capability="account.view", doing="see closed accounts")
def closed_account(request, number):
    account = get_object_or_404(Account.objects.select_related("customer"), number=number)
    if request.method == "POST":
        p = request.POST
        op = p.get("op", "")
        today = timezone.localdate()
        try:
            if op == "deposit":
                release = actions.apply_deposit(user=request.user, account=account)
                messages.success(request, f"Deposit applied: {format_money(release.applied)} to the final bill"
                                 + (f", {format_money(release.refund.amount)} refunded" if release.refund else "")
                                 + ".")
            elif op == "transfer":
                target = Account.objects.filter(number=p.get("to_account", "").strip()).first()
                if target is None:
                    raise WriteOffError(f"To account: {p.get('to_account', '')!r} is not an account number.")
                t = actions.transfer_balance(user=request.user, from_account=account, to_account=target,
                                             reason=p.get("reason", ""))
                messages.success(request, f"{format_money(t.amount)} moved to account {target.number}.")
            elif op == "assign":
                agency = CollectionAgency.objects.filter(pk=p.get("agency") or 0).first()
                if agency is None:
                    raise WriteOffError("Agency: choose a collection agency.")
                advised = _date(p.get("advised_on"), "Advised on")
                a = actions.assign_to_agency(user=request.user, account=account, agency=agency, advised_on=advised,
                                             on=_date(p.get("assigned_on"), "Assigned on") or today)
                messages.success(request, f"Assigned to {agency.name}: {format_money(a.amount_assigned)}.")
            elif op == "write_off":
                w = actions.request_write_off(user=request.user, account=account, reason=p.get("reason", ""),
                                              memo=p.get("memo", ""))
                if w.status == "pending":
                    messages.warning(request, f"Above your write-off limit: {format_money(w.amount)} waits for "
                                     "another person's approval.")
                else:
                    messages.success(request, f"{format_money(w.amount)} written off.")
            elif op == "lien":
                premise = get_object_or_404(Premise, pk=p.get("premise") or 0)
                lien = actions.certify_lien(
                    user=request.user, account=account, premise=premise,
                    delinquent_since=_date(p.get("delinquent_since"), "Delinquent since"),
                    prime_rate=p.get("prime_rate", ""), interest_rate=p.get("interest_rate", ""),
                    penalties=p.get("penalties") or "0.00", tenant_delinquency=p.get("tenant") == "on",
                    auditor_reference=p.get("auditor_reference", ""))
                messages.success(request, f"Lien certified on parcel {lien.parcel_number}: "
                                 f"{format_money(lien.total)}.")
            else:
                raise WriteOffError("Unknown action.")
        except REFUSALS as exc:
            messages.error(request, str(exc))
        return redirect("collections:closed_account", number=account.number)
    picture = queries.closed_account(account)
    return render(request, "collections/closed/account.html", {
        "c": picture, "account": account, "step_label": queries.STEP_LABELS.get(picture.step or "", ""),
        "agencies": CollectionAgency.objects.filter(is_active=True),
        "reasons": WriteOff.Reason.choices, "today": timezone.localdate(),
        "warning_served_on": actions.agency_warning_served_on(account),
        "lien_rates": actions.lien_rates(timezone.localdate()),
        "can_manage": permissions.has(request.user, "payment.manage"),
        "can_write_off": permissions.has(request.user, "adjustment.request")})


@staff_page(capability="account.view", doing="see collection agencies")
def agencies(request):
    if request.method == "POST":
        p = request.POST
        op = p.get("op", "")
        try:
            if op == "save_agency":
                agency = actions.save_agency(user=request.user, code=p.get("code", ""), name=p.get("name", ""),
                                             fee_percent=p.get("fee_percent", ""),
                                             fee_percent_above=p.get("fee_percent_above") or "35.00",
                                             license_number=p.get("license_number", ""), contact=p.get("contact", ""))
                messages.success(request, f"Agency {agency.code} saved.")
            elif op == "write_file":
                agency = get_object_or_404(CollectionAgency, pk=p.get("agency") or 0)
                f = actions.write_agency_file(user=request.user, agency=agency)
                messages.success(request, f"{f.name}: {f.item_count} account(s), {format_money(f.total)}.")
            elif op == "remit":
                assignment = get_object_or_404(AgencyAssignment, pk=p.get("assignment") or 0)
                r = actions.record_remittance(user=request.user, assignment=assignment,
                                              reference=p.get("reference", ""), gross=p.get("gross", ""),
                                              received_on=_date(p.get("received_on"), "Received on"))
                messages.success(request, f"Remittance {r.reference}: {format_money(r.gross)} collected, fee "
                                 f"{format_money(r.fee)}, {format_money(r.net)} received.")
            elif op in ("recalled", "returned"):
                assignment = get_object_or_404(AgencyAssignment, pk=p.get("assignment") or 0)
                actions.close_assignment(user=request.user, assignment=assignment, outcome=op,
                                         reason=p.get("reason", ""))
                messages.success(request, f"Assignment {assignment.pk} {op}.")
            else:
                raise WriteOffError("Unknown action.")
        except REFUSALS as exc:
            messages.error(request, str(exc))
        return redirect("collections:agencies")
    open_assignments = list(AgencyAssignment.objects.filter(status=AgencyAssignment.Status.ASSIGNED)
                            .select_related("account__customer", "agency", "file").order_by("agency__name", "pk"))
    return render(request, "collections/closed/agencies.html", {
        "agencies": CollectionAgency.objects.order_by("name"),
        "open_assignments": open_assignments,
        "unsent": {a.agency_id for a in open_assignments if a.file_id is None},
        "closed_assignments": AgencyAssignment.objects.exclude(status=AgencyAssignment.Status.ASSIGNED)
        .select_related("account", "agency").order_by("-pk")[:50],
        "files": AgencyFile.objects.select_related("agency").order_by("-pk")[:20],
        "today": timezone.localdate(),
        "can_manage": permissions.has(request.user, "payment.manage"),
        "can_set_up": permissions.has(request.user, "approval_limit.edit")})


@staff_page(capability="payment.manage", doing="download collection agency files")
def agency_file_download(request, pk):
    agency_file = get_object_or_404(AgencyFile, pk=pk)
    response = HttpResponse(agency_file.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{agency_file.name}"'
    return response


@staff_page(capability="account.view", doing="see write-offs")
def write_offs(request):
    status = request.GET.get("status") or ""
    rows = WriteOff.objects.select_related("account__customer", "requested_by", "decided_by").order_by("-pk")
    if status in WriteOff.Status.values:
        rows = rows.filter(status=status)
    return render(request, "collections/closed/write_offs.html", {
        "rows": rows[:200], "status": status, "statuses": WriteOff.Status.choices,
        "pending_count": WriteOff.objects.filter(status=WriteOff.Status.PENDING).count()})


@staff_page(capability="account.view", doing="see liens")
def liens(request):
    status = request.GET.get("status") or ""
    rows = LienCertification.objects.select_related("account", "premise").order_by("-pk")
    if status in LienCertification.Status.values:
        rows = rows.filter(status=status)
    return render(request, "collections/closed/liens.html", {
        "rows": rows[:200], "status": status, "statuses": LienCertification.Status.choices,
        "can_manage": permissions.has(request.user, "payment.manage")})


@staff_page(capability="payment.manage", doing="release liens")
@require_POST
def lien_release(request, pk):
    lien = get_object_or_404(LienCertification, pk=pk)
    try:
        actions.release_lien(user=request.user, lien=lien, reason=request.POST.get("reason", ""))
        messages.success(request, f"Lien #{lien.pk} on parcel {lien.parcel_number} released.")
    except REFUSALS as exc:
        messages.error(request, str(exc))
    return redirect("collections:liens")


def account_panel(request, account, on):
    """The account collections tab's closed-account panel (collections.panels):
    shown for a closed account that owes, or any account with write-offs,
    agency assignments, transfers or liens."""
    picture = queries.closed_account(account)
    if not (picture.step or picture.write_offs or picture.assignments or picture.transfers or picture.liens):
        return None
    return {"c": picture, "step_label": queries.STEP_LABELS.get(picture.step or "", "")}
