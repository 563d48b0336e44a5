"""Rates console pages: schedules, versions side by side, new versions from a
copy with approval, and the rate calculator. Views check input, call
actions and queries, and render; the rules live in the actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ratepayer import rating
from ratepayer.staff import permissions
from ratepayer.staff.errors import ApprovalError
from ratepayer.staff.views import staff_page

from . import actions, calculations, documents, queries
from .errors import CalculatorError, DocumentError, RatesError
from .forms import CalculatorForm, DecisionForm, ScheduleForm, VersionForm
from .models import RateSchedule, RateVersion


def _schedule(code: str) -> RateSchedule:
    return get_object_or_404(RateSchedule, code=code)


def _version(schedule: RateSchedule, version_id: int) -> RateVersion:
    return get_object_or_404(RateVersion.objects.select_related("created_by", "approved_by", "schedule"),
                             pk=version_id, schedule=schedule)


def _domain_error(form, exc: Exception, *, text: str = "") -> None:
    """Put an action's "Field: problem" error under that field, a document
    error under the editor with its line."""
    if isinstance(exc, DocumentError) and "document" in form.fields:
        message = str(exc).removeprefix("Document: ")
        line = exc.line or documents.line_of(text, exc.field)
        if line and not message.startswith("line "):
            message = f"line {line}: {message}"
        form.add_error("document", message)
        form.error_line = line
        return
    head, sep, rest = str(exc).partition(":")
    if sep:
        for name, bound in form.fields.items():
            if head.strip().lower() in {name.replace("_", " "), str(bound.label or "").lower()}:
                form.add_error(name, rest.strip())
                return
    form.add_error(None, str(exc))


# --- schedules ------------------------------------------------------------------

@staff_page
def schedules(request):
    permissions.require(request.user, "account.view", "look up rate schedules")
    today = timezone.localdate()
    form = ScheduleForm()
    status = 200
    if request.method == "POST":
        permissions.require(request.user, "rates.manage", "create rate schedules")
        form = ScheduleForm(request.POST)
        if form.is_valid():
            try:
                schedule = actions.create_schedule(user=request.user, **form.cleaned_data)
            except RatesError as exc:
                _domain_error(form, exc)
            else:
                messages.success(request, f"Schedule {schedule.code} created. Now draft its first version.")
                return redirect("rates:version_new", code=schedule.code)
        status = 400
    rows = queries.schedule_list(today)
    for row in rows:
        row.problem = documents.problem(row.in_force.document) if row.in_force else ""
    return render(request, "rates/schedules.html", {
        "rows": rows, "today": today, "form": form,
        "can_manage": permissions.has(request.user, "rates.manage"),
    }, status=status)


def _badge(version: RateVersion, in_force_id: int | None, today) -> tuple[str, str]:
    if version.status == RateVersion.Status.APPROVED:
        if version.pk == in_force_id:
            return "in force", "badge-ok"
        if version.effective_from > today:
            return "scheduled", "badge-info"
        return "superseded", "badge-quiet"
    if version.status == RateVersion.Status.PENDING:
        return "waiting for approval", "badge-warn"
    if version.status == RateVersion.Status.REJECTED:
        return "rejected", "badge-bad"
    return "draft", ""


def _default_pair(versions: list[RateVersion], in_force: RateVersion | None) -> tuple[int | None, int | None]:
    """What to compare when nothing is chosen: the rates in force against the
    newest version (a proposal or a scheduled change), else against the
    version they replaced."""
    if not versions:
        return None, None
    newest = versions[0]
    if in_force is None:
        return (versions[1].pk if len(versions) > 1 else newest.pk), newest.pk
    if newest.pk != in_force.pk:
        return in_force.pk, newest.pk
    older = [v for v in versions if v.status == RateVersion.Status.APPROVED and v.effective_from < in_force.effective_from]
    return (older[0].pk if older else in_force.pk), in_force.pk


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@staff_page
def schedule(request, code):
    permissions.require(request.user, "account.view", "look up rate schedules")
    schedule = _schedule(code)
    today = timezone.localdate()
    versions = list(queries.schedule_versions(schedule))
    in_force = queries.version_in_force(schedule, today)
    ids = [v.pk for v in versions]
    open_requests = queries.open_requests(ids)
    decisions = queries.last_decisions(ids)
    for v in versions:
        v.badge, v.badge_class = _badge(v, in_force.pk if in_force else None, today)
        v.problem = documents.problem(v.document)
        v.request = open_requests.get(v.pk)
        v.decision = decisions.get(v.pk)
        v.can_decide = (v.request is not None and permissions.has(request.user, "rates.approve")
                        and permissions.has(request.user, "approval.decide") and v.request.maker_id != request.user.pk)
    by_id = {v.pk: v for v in versions}
    left_id, right_id = _int(request.GET.get("left")), _int(request.GET.get("right"))
    if right_id in by_id and left_id not in by_id:
        left_id = in_force.pk if in_force is not None and in_force.pk != right_id else None
    if left_id not in by_id or right_id not in by_id:
        left_id, right_id = _default_pair(versions, in_force)
    left, right = by_id.get(left_id), by_id.get(right_id)
    diff = None
    if left is not None and right is not None:
        rows = documents.side_by_side(documents.to_yaml(left.document), documents.to_yaml(right.document))
        diff = {"rows": rows, "changed": sum(1 for r in rows if r.change != "equal")}
    return render(request, "rates/schedule.html", {
        "schedule": schedule, "versions": versions, "in_force": in_force, "today": today,
        "left": left, "right": right, "diff": diff,
        "can_manage": permissions.has(request.user, "rates.manage"),
        "decision_form": DecisionForm(),
    })


# --- versions -------------------------------------------------------------------

def _skeleton(schedule: RateSchedule) -> str:
    """A starting document for a schedule without versions."""
    unit = "kWh" if schedule.service == "electric" else "CCF"
    kind = "energy" if schedule.service == "electric" else "volume"
    return documents.to_yaml({
        "format": "ratepayer-tariff/1", "id": schedule.code.lower(), "name": schedule.name,
        "service": schedule.service, "timezone": settings.TIME_ZONE,
        "versions": [{"effective": timezone.localdate().isoformat(), "components": [
            {"type": "fixed", "name": "base", "description": "Base charge", "amount": "0.00", "per": "day"},
            {"type": kind, "name": kind, "description": f"{kind.title()} charge", "unit": unit,
             "blocks": [{"rate": "0.00"}]},
        ]}],
    })


def _save_version(request, schedule: RateSchedule, form: VersionForm, *, draft: RateVersion | None,
                  copied_from: RateVersion | None):
    """Validate and save; on success redirect, else None (errors on the form)."""
    if not form.is_valid():
        return None
    text = form.cleaned_data["document"]
    data = form.cleaned_data
    try:
        with transaction.atomic():
            version = _save_and_maybe_submit(request, schedule, text, data, draft=draft, copied_from=copied_from)
    except RatesError as exc:
        _domain_error(form, exc, text=text)
        return None
    if request.POST.get("submit") == "approval":
        messages.success(request, f"Version #{version.pk} from {version.effective_from} is waiting for "
                                  "approval by another supervisor. It bills nobody until then.")
    else:
        messages.success(request, f"Draft #{version.pk} saved. Submit it for approval when it is ready.")
    if version.effective_from < timezone.localdate():
        messages.warning(request, f"{version.effective_from} is in the past. Once approved, bills issued for periods "
                                  "after that date are not re-rated by themselves: cancel and re-bill them.")
    return redirect(f"{schedule_url(schedule)}?right={version.pk}")


def _save_and_maybe_submit(request, schedule, text, data, *, draft, copied_from) -> RateVersion:
    tariff = documents.tariff_from_yaml(text)
    if draft is None:
        version = actions.draft_version(user=request.user, schedule=schedule, effective_from=data["effective_from"],
                                        document=tariff, notes=data["notes"], copied_from=copied_from)
    else:
        version = actions.update_draft(user=request.user, version=draft, effective_from=data["effective_from"],
                                       document=tariff, notes=data["notes"])
    if request.POST.get("submit") == "approval":
        actions.submit_for_approval(user=request.user, version=version)
    return version


def schedule_url(schedule: RateSchedule) -> str:
    return reverse("rates:schedule", kwargs={"code": schedule.code})


def _error_excerpt(form, text: str) -> list[tuple[int, str, bool]]:
    line = getattr(form, "error_line", None)
    if not line:
        return []
    lines = text.splitlines()
    return [(n, lines[n - 1], n == line) for n in range(max(1, line - 2), min(len(lines), line + 2) + 1)]


@staff_page
def version_new(request, code):
    schedule = _schedule(code)
    permissions.require(request.user, "rates.manage", "draft rate schedule versions")
    source = None
    source_id = _int(request.GET.get("from") or request.POST.get("copied_from"))
    if source_id is not None:
        source = _version(schedule, source_id)
    elif request.method == "GET":
        source = queries.version_in_force(schedule, timezone.localdate()) or schedule.versions.order_by(
            "-effective_from", "-pk").first()
    if request.method == "POST":
        form = VersionForm(request.POST)
        done = _save_version(request, schedule, form, draft=None, copied_from=source)
        if done is not None:
            return done
        status = 400
    else:
        form = VersionForm(initial={
            "document": documents.to_yaml(documents.newest_rates(source.document)) if source else _skeleton(schedule)})
        status = 200
    return render(request, "rates/version_form.html", {
        "schedule": schedule, "form": form, "source": source, "draft": None,
        "excerpt": _error_excerpt(form, request.POST.get("document", "")),
    }, status=status)


@staff_page
def version_edit(request, code, version_id):
    schedule = _schedule(code)
    permissions.require(request.user, "rates.manage", "draft rate schedule versions")
    draft = _version(schedule, version_id)
    if draft.status != RateVersion.Status.DRAFT:
        messages.error(request, f"Version #{draft.pk} is {draft.get_status_display().lower()}; only a draft can be "
                                "changed. Draft a new version from a copy instead.")
        return redirect(schedule_url(schedule))
    if request.method == "POST":
        form = VersionForm(request.POST)
        done = _save_version(request, schedule, form, draft=draft, copied_from=None)
        if done is not None:
            return done
        status = 400
    else:
        form = VersionForm(initial={"document": documents.to_yaml(draft.document),
                                    "effective_from": draft.effective_from, "notes": draft.notes})
        status = 200
    return render(request, "rates/version_form.html", {
        "schedule": schedule, "form": form, "source": None, "draft": draft,
        "excerpt": _error_excerpt(form, request.POST.get("document", "")),
    }, status=status)


@staff_page
@require_POST
def version_decide(request, code, version_id):
    """Submit a draft, or approve / reject a pending version, from the schedule page."""
    schedule = _schedule(code)
    version = _version(schedule, version_id)
    decision = request.POST.get("decision")
    form = DecisionForm(request.POST)
    note = form.data.get("note", "")[:500]
    try:
        if decision == "submit":
            actions.submit_for_approval(user=request.user, version=version)
            messages.success(request, f"Version #{version.pk} is waiting for approval by another supervisor.")
        elif decision == "approve":
            actions.approve_version(user=request.user, version=version, note=note)
            messages.success(request, f"Version #{version.pk} approved: in force from {version.effective_from}.")
        elif decision == "reject":
            actions.reject_version(user=request.user, version=version, note=note)
            messages.success(request, f"Version #{version.pk} rejected.")
        else:
            raise RatesError("Choose submit, approve or reject.")
    except (RatesError, ApprovalError) as exc:
        messages.error(request, f"Version #{version.pk}: {exc} Nothing was changed.")
    return redirect(f"{schedule_url(schedule)}?right={version.pk}")


# --- calculator -------------------------------------------------------------------

@staff_page
def calculator(request):
    """Rate usage on a schedule: no database writes, whatever the input."""
    permissions.require(request.user, "account.view", "use the rate calculator")
    form = CalculatorForm(request.POST or None, request.FILES or None,
                          initial={"schedule": _int(request.GET.get("schedule"))})
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = _calculate(form.cleaned_data)
                status = 200
            except (CalculatorError, rating.TariffError) as exc:
                _domain_error(form, exc)
    return render(request, "rates/calculator.html", {"form": form, "result": result}, status=status)


def _calculate(data: dict) -> dict:
    schedule = data["schedule"]
    version = queries.version_in_force(schedule, data["on_date"])
    if version is None:
        raise CalculatorError(f"Rates in force on: schedule {schedule.code} has no approved version in force on "
                              f"{data['on_date']}.")
    service = rating.ServiceInfo(
        meter_size=data["meter_size"].strip() or None, size_class=data["size_class"].strip() or None,
        dwelling_units=data["dwelling_units"] or 1, connected_load_kw=data["connected_load_kw"],
        winter_average_daily=data["winter_average"])
    upload = data.get("intervals")
    if upload:
        tz = (version.document or {}).get("timezone") or settings.TIME_ZONE
        usage = calculations.read_interval_file(upload.name, upload.read(), tz)
        quote = calculations.quote_intervals(version.document, data["on_date"], usage, service=service)
        source = f"{upload.name}: {quote.intervals:,} intervals of {usage.interval_minutes} minutes"
    else:
        quote = calculations.quote_register(version.document, data["on_date"], quantity=data["quantity"],
                                            days=data["days"], demand_kw=data["demand_kw"], service=service)
        source = f"{data['quantity'].normalize():f} {quote.unit} over {data['days']} days"
    return {"schedule": schedule, "version": version, "quote": quote, "source": source}
