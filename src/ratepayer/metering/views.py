"""Console pages for meter reads: find a meter, enter a read, see its history and
usage chart, import a route file, and work the read exceptions queue.

Views check the shape of input, call metering.actions, and render; a forbidden
action is refused by the action (PermissionRefused → a 403 page saying why)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ratepayer.customers.models import Account, Meter, MeterInstallation, ServiceAgreement
from ratepayer.staff import permissions
from ratepayer.staff.views import staff_page

from . import actions, queries
from .errors import AlreadyImported, ImportRejected, MeteringError
from .forms import DecisionForm, MeterChangeForm, ReadEntryForm, RouteFileForm
from .models import ReadException, ReadImportFile, RegisterRead

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


# --------------------------------------------------------------------------- find a meter


@staff_page
def entry(request):
    """Find a meter by serial number or account number; recent imports; queue size."""
    permissions.require(request.user, "account.view", "look up meters")
    q = request.GET.get("q", "").strip()
    meters: list[Meter] = []
    account = None
    not_found = False
    if q:
        meter = Meter.objects.filter(serial_number__iexact=q).first()
        if meter is not None:
            return redirect("metering:meter", serial=meter.serial_number)
        account = Account.objects.select_related("customer").filter(number=q).first()
        if account is not None:
            meters = _meter_rows(queries.meters_for_account(account))
            if len(meters) == 1:
                return redirect("metering:meter", serial=meters[0].serial_number)
        else:
            not_found = True
    return render(request, "metering/entry.html", {
        "q": q, "account": account, "meters": meters, "not_found": not_found,
        "can_manage": permissions.has(request.user, "reads.manage"),
        "open_count": ReadException.objects.filter(status="open").count(),
        "imports": ReadImportFile.objects.select_related("imported_by").order_by("-imported_at", "-id")[:8],
    })


def _meter_rows(meters: list[Meter]) -> list[Meter]:
    last = {}
    for r in (RegisterRead.objects.filter(meter__in=meters, status="valid").order_by("meter_id", "read_date", "id")
              .only("meter_id", "read_date", "value", "read_type")):
        last[r.meter_id] = r
    for m in meters:
        m.last_read = last.get(m.pk)
    return meters


# --------------------------------------------------------------------------- one meter


def _chart(reads: list[RegisterRead]) -> dict | None:
    """Bar geometry for the usage chart: the last 24 billable reads, daily average per bar."""
    valid = sorted((r for r in reads if r.status == "valid" and r.read_type != "meter_in"),
                   key=lambda r: (r.read_date, r.pk))
    bars = []
    previous = None
    for r in valid:
        if previous is not None and r.read_date > previous:
            days = (r.read_date - previous).days
            bars.append({"date": r.read_date, "usage": r.consumption, "days": days,
                         "daily": float(r.consumption) / days, "estimated": r.read_type == "estimated"})
        previous = r.read_date
    bars = bars[-24:]
    if len(bars) < 2:
        return None
    top = max(max(b["daily"] for b in bars), 1e-9)
    width, height, gap = 640, 150, 4
    bar_w = (width - gap * len(bars)) / len(bars)
    for i, b in enumerate(bars):
        h = max(0.0, b["daily"]) / top * (height - 20)
        b.update(x=round(i * (bar_w + gap), 1), y=round(height - 14 - h, 1), w=round(bar_w, 1), h=round(h, 1),
                 label_x=round(i * (bar_w + gap) + bar_w / 2, 1))
    return {"bars": bars, "width": width, "height": height, "top": top}


@staff_page
def meter(request, serial: str):
    """A meter's reads (newest first) with a usage chart, and read entry."""
    permissions.require(request.user, "account.view", "look up meters")
    meter_obj = get_object_or_404(Meter, serial_number=serial)
    can_manage = permissions.has(request.user, "reads.manage")
    form = ReadEntryForm(has_demand=meter_obj.has_demand_register)
    error = ""
    if request.method == "POST":
        permissions.require(request.user, "reads.manage", "enter meter reads")
        form = ReadEntryForm(request.POST, has_demand=meter_obj.has_demand_register)
        if form.is_valid():
            data = form.cleaned_data
            try:
                read = actions.enter_read(user=request.user, meter=meter_obj, read_date=data["read_date"],
                                          value=data["value"], read_type=data["read_type"],
                                          demand_kw=data.get("demand_kw"), note=data["note"])
            except MeteringError as exc:
                error = str(exc)
            else:
                if read.status == "valid":
                    messages.success(request, f"Read {read.value.normalize():f} on {read.read_date:%Y-%m-%d} stored: "
                                              f"{read.consumption.normalize():f} {meter_obj.unit} since the previous read.")
                else:
                    messages.warning(request, f"Read stored but held in the read exceptions queue: "
                                              f"{read.exception.message}")
                return redirect("metering:meter", serial=meter_obj.serial_number)
    return _meter_page(request, meter_obj, form=form, error=error, can_manage=can_manage)


def _meter_page(request, meter_obj, *, form=None, error="", change_form=None, change_error="", can_manage=False):
    reads = queries.read_history(meter_obj, limit=60)
    installation = (MeterInstallation.objects.select_related("service_point__premise")
                    .filter(meter=meter_obj).order_by("-installed_on").first())
    agreement = None
    if installation is not None:
        agreement = (ServiceAgreement.objects.select_related("account__customer")
                     .filter(service_point=installation.service_point).order_by("-start_date").first())
    return render(request, "metering/meter.html", {
        "meter": meter_obj, "reads": reads, "chart": _chart(reads), "installation": installation,
        "agreement": agreement, "form": form or ReadEntryForm(has_demand=meter_obj.has_demand_register),
        "error": error, "can_manage": can_manage,
        "change_form": change_form or MeterChangeForm(), "change_error": change_error,
        "can_change": can_manage and installation is not None and installation.removed_on is None,
    }, status=400 if request.method == "POST" else 200)


@staff_page
@require_POST
def change_meter(request, serial: str):
    """Exchange this meter: the old meter's out read and the new meter's in read, same day."""
    permissions.require(request.user, "reads.manage", "record meter changes")
    old = get_object_or_404(Meter, serial_number=serial)
    form = MeterChangeForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        new = Meter.objects.filter(serial_number=data["new_meter"].strip()).first()
        installation = MeterInstallation.objects.filter(meter=old, removed_on__isnull=True).first()
        if new is None:
            form.add_error("new_meter", f"No meter with serial number {data['new_meter']!r}.")
        elif installation is None:
            error = f"Meter {old} is not installed anywhere."
        else:
            try:
                actions.change_meter(user=request.user, service_point=installation.service_point, new_meter=new,
                                     change_date=data["change_date"], out_read=data["out_read"],
                                     in_read=data["in_read"], note=data["note"])
            except MeteringError as exc:
                error = str(exc)
            else:
                messages.success(request, f"Meter {old} (out {data['out_read'].normalize():f}) replaced by {new} "
                                          f"(in {data['in_read'].normalize():f}) on {data['change_date']:%Y-%m-%d}.")
                return redirect("metering:meter", serial=new.serial_number)
    return _meter_page(request, old, change_form=form, change_error=error, can_manage=True)


# --------------------------------------------------------------------------- route file import


@staff_page
def route_import(request):
    """Upload a route file; show what it did, or every problem by line and field."""
    permissions.require(request.user, "reads.manage", "import route files")
    form = RouteFileForm()
    result = None
    problems: list = []
    refusal = ""
    if request.method == "POST":
        form = RouteFileForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            mapping = None
            try:
                if upload.size > MAX_UPLOAD_BYTES:
                    raise MeteringError(f"{upload.name}: larger than {MAX_UPLOAD_BYTES // 2**20} MB; use the "
                                        "`ratepayer reads import` command")
                if form.cleaned_data.get("mapping"):
                    try:
                        mapping = actions.load_mapping(json.loads(form.cleaned_data["mapping"].read().decode()))
                    except (ValueError, UnicodeDecodeError) as exc:
                        raise MeteringError(f"Column mapping: not valid JSON ({exc})") from None
                result = actions.import_route_file(user=request.user, content=upload.read(), name=upload.name,
                                                   mapping=mapping)
            except ImportRejected as exc:
                problems = exc.problems
            except (AlreadyImported, MeteringError) as exc:
                refusal = str(exc)
    status = 400 if (problems or refusal or (request.method == "POST" and not form.is_valid())) else 200
    return render(request, "metering/import.html", {
        "form": form, "result": result, "problems": problems, "refusal": refusal,
        "exceptions": (ReadException.objects.filter(read__import_file=result.file).select_related("read__meter")
                       if result else []),
    }, status=status)


# --------------------------------------------------------------------------- exceptions queue


def _queue_rows(exceptions: list[ReadException]) -> list[ReadException]:
    """Attach the previous valid read and the account to each row (2 queries for the page)."""
    if not exceptions:
        return exceptions
    meter_ids = {e.read.meter_id for e in exceptions}
    earliest = min(e.read.read_date for e in exceptions) - timedelta(days=queries.HISTORY_DAYS)
    previous: dict[int, list[RegisterRead]] = {}
    for r in (RegisterRead.objects.filter(meter_id__in=meter_ids, status="valid", read_date__gte=earliest)
              .order_by("read_date", "id").only("id", "meter_id", "read_date", "value", "read_type")):
        previous.setdefault(r.meter_id, []).append(r)
    points = {e.read.service_point_id for e in exceptions if e.read.service_point_id}
    accounts: dict[int, list[tuple]] = {}
    for sp, start, end, number, name in (ServiceAgreement.objects.filter(service_point_id__in=points)
                                         .values_list("service_point_id", "start_date", "end_date", "account__number",
                                                      "account__customer__name")):
        accounts.setdefault(sp, []).append((start, end, number, name))
    for e in exceptions:
        before = [r for r in previous.get(e.read.meter_id, []) if r.read_date < e.read.read_date]
        e.previous_read = before[-1] if before else None
        day = e.read.read_date
        e.account = next(((n, nm) for s, en, n, nm in accounts.get(e.read.service_point_id, [])
                          if s <= day and (en is None or day <= en)), None)
        e.form = DecisionForm(prefix=f"x{e.pk}")
    return exceptions


@staff_page
def exceptions(request):
    permissions.require(request.user, "reads.manage", "work read exceptions")
    rows = _queue_rows(list(queries.open_exceptions()[:200]))
    return render(request, "metering/exceptions.html", _queue_context(request, rows))


def _queue_context(request, rows, **extra) -> dict:
    return {
        "rows": rows, "total_open": ReadException.objects.filter(status="open").count(),
        "policy": queries.read_policy_on(timezone.localdate()),
        "decided": (ReadException.objects.filter(status="resolved").select_related("read__meter", "decided_by")
                    .order_by("-decided_at", "-id")[:15]),
        **extra,
    }


@staff_page
@require_POST
def decide(request, pk: int):
    permissions.require(request.user, "reads.manage", "work read exceptions")
    exc = get_object_or_404(ReadException.objects.select_related("read__meter"), pk=pk)
    form = DecisionForm(request.POST, prefix=f"x{pk}")
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = actions.work_exception(user=request.user, exception=exc, decision=data["decision"],
                                          note=data["note"], corrected_value=data.get("corrected_value"))
        except MeteringError as err:
            error = str(err)
        else:
            label = ReadException.Decision(done.decision).label.lower()
            messages.success(request, f"Meter {exc.read.meter} {exc.read.read_date:%Y-%m-%d}: {label}.")
            return redirect(reverse("metering:exceptions") + "#queue")
    else:
        error = "; ".join(str(m) for errs in form.errors.values() for m in errs)
    rows = _queue_rows(list(queries.open_exceptions()[:200]))
    for row in rows:
        if row.pk == exc.pk:
            row.form = form
    return render(request, "metering/exceptions.html",
                  _queue_context(request, rows, error=error, error_id=exc.pk), status=400)
