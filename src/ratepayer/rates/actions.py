"""Rate schedule actions: create schedules, draft versions (new or copied),
submit them for approval, and what happens when a second person decides.

A version is drafted by someone with ``rates.manage`` and takes effect only
after another person with ``rates.approve`` approves it (maker-checker through
``staff.approvals``, kind ``rates.version``). An approved version is never
edited: a change of rates is a new version with a later date. Every action
runs in one transaction and writes nothing when it refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ratepayer.rating import Tariff, TariffError, example_paths, load_tariff, parse_tariff
from ratepayer.staff import approvals, audit, permissions, transitions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.errors import ApprovalError
from ratepayer.staff.models import ApprovalRequest

from . import documents
from .errors import DocumentError, RatesError
from .models import SERVICES, RateSchedule, RateVersion

VERSION_KIND = "rates.version"
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,31}$")


# --- schedules ------------------------------------------------------------------

def create_schedule(*, user, code: str, name: str, service: str, description: str = "",
                    source: str = "") -> RateSchedule:
    """A new, empty rate schedule (its rates come as versions)."""
    permissions.require(user, "rates.manage", "create rate schedules")
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if not _CODE.match(code):
        raise RatesError("Code: use 1 to 32 letters, digits, '-', '_' or '.', e.g. E-7 or W-RES.")
    if not name:
        raise RatesError("Name: give the schedule a name customers would recognise, e.g. Residential.")
    if service not in dict(SERVICES):
        raise RatesError(f"Service: choose one of {', '.join(dict(SERVICES))}.")
    with transaction.atomic():
        if RateSchedule.objects.filter(code=code).exists():
            raise RatesError(f"Code: a schedule {code} already exists.")
        schedule = RateSchedule.objects.create(code=code, name=name[:120], service=service,
                                               description=description.strip(), source=source.strip()[:300])
        audit.record(AuditAction.RATES_SCHEDULE_CREATED, user_id=user.pk, obj=schedule,
                     summary=f"Rate schedule {code} {name} ({service}) created",
                     after={"code": code, "name": name, "service": service})
    return schedule


# --- versions -------------------------------------------------------------------

def _validated(schedule: RateSchedule, effective_from: date, document: Any) -> dict:
    """The stored form of ``document`` for a version of ``schedule`` from
    ``effective_from``. The document holds one set of rates; its effective
    date is the version's (set here, so nobody types it twice)."""
    if isinstance(document, Tariff):
        tariff = document
    else:
        try:
            tariff = parse_tariff(document)
        except TariffError as exc:
            path = documents.error_path(exc)
            raise DocumentError(f"Document: {exc}", field=path) from exc
    if len(tariff.versions) != 1:
        raise DocumentError(
            f"Document: versions: a rate version holds one set of rates, this document has {len(tariff.versions)} "
            "(dated " + ", ".join(str(v.effective) for v in tariff.versions) + "); keep the one you mean and "
            "draft one version per effective date.", field="versions")
    if tariff.service != schedule.service:
        raise DocumentError(f"Document: service: the document is for {tariff.service}, schedule {schedule.code} "
                            f"is {schedule.service}.", field="service")
    dated = tariff.model_copy(update={"versions": [tariff.versions[0].model_copy(update={"effective": effective_from})]})
    return documents.stored_document(dated)


def _check_date_free(schedule: RateSchedule, effective_from: date) -> None:
    if not isinstance(effective_from, date):
        raise RatesError("Effective from: give the first day the rates apply (YYYY-MM-DD).")
    taken = schedule.versions.filter(status=RateVersion.Status.APPROVED, effective_from=effective_from).first()
    if taken is not None:
        raise RatesError(f"Effective from: version #{taken.pk} of {schedule.code} is already approved from "
                         f"{effective_from}; approved versions are never changed, so choose another date.")


def draft_version(*, user, schedule: RateSchedule, effective_from: date, document: Any, notes: str = "",
                  copied_from: RateVersion | None = None) -> RateVersion:
    """A draft version of ``schedule`` in force from ``effective_from`` once
    approved. ``document`` (a tariff document or Tariff) is validated with the
    rating model; a DocumentError names the field. Nothing is written on error."""
    permissions.require(user, "rates.manage", "draft rate schedule versions")
    _check_date_free(schedule, effective_from)
    stored = _validated(schedule, effective_from, document)
    if copied_from is not None and copied_from.schedule_id != schedule.pk:
        raise RatesError(f"Copy from: version #{copied_from.pk} belongs to another schedule.")
    with transaction.atomic():
        version = RateVersion.objects.create(schedule=schedule, effective_from=effective_from, document=stored,
                                             notes=notes.strip(), created_by=user, status=RateVersion.Status.DRAFT)
        copied = f" from a copy of version #{copied_from.pk}" if copied_from is not None else ""
        audit.record(AuditAction.RATES_VERSION_DRAFTED, user_id=user.pk, obj=version,
                     summary=f"{schedule.code}: version #{version.pk} from {effective_from} drafted{copied}",
                     after={"effective_from": effective_from, "copied_from": copied_from.pk if copied_from else None})
    return version


def copy_version(*, user, source: RateVersion, effective_from: date, notes: str = "") -> RateVersion:
    """A draft with the same rates as ``source``, from a new date (edit it
    before submitting, or submit it as it is to extend rates to a new date)."""
    return draft_version(user=user, schedule=source.schedule, effective_from=effective_from, document=source.document,
                         notes=notes or f"copy of version #{source.pk}", copied_from=source)


def update_draft(*, user, version: RateVersion, effective_from: date, document: Any, notes: str = "") -> RateVersion:
    """Change a draft (only a draft: pending, approved and rejected versions are final)."""
    permissions.require(user, "rates.manage", "draft rate schedule versions")
    schedule = version.schedule
    _check_date_free(schedule, effective_from)
    stored = _validated(schedule, effective_from, document)
    with transaction.atomic():
        before = RateVersion.objects.select_for_update().get(pk=version.pk)
        if before.status != RateVersion.Status.DRAFT:
            raise RatesError(f"Version #{version.pk} is {before.get_status_display().lower()}; only a draft can be "
                             "changed. Draft a new version from a copy instead.")
        RateVersion.objects.filter(pk=version.pk, status=RateVersion.Status.DRAFT).update(
            effective_from=effective_from, document=stored, notes=notes.strip())
        audit.record(AuditAction.RATES_VERSION_CHANGED, user_id=user.pk, obj=version,
                     summary=f"{schedule.code}: draft #{version.pk} changed",
                     before={"effective_from": before.effective_from},
                     after={"effective_from": effective_from})
    version.refresh_from_db()
    return version


def _check_transition(version: RateVersion, new_status: str) -> None:
    transitions.check(version, new_status, refused=RatesError, what=f"Version #{version.pk}")


def _transition(version: RateVersion, new_status: str, **options) -> None:
    transitions.change_status(version, new_status, refused=RatesError, what=f"Version #{version.pk}", **options)


def submit_for_approval(*, user, version: RateVersion) -> ApprovalRequest:
    """Send a draft to the approvals inbox. It bills nobody until another
    person with ``rates.approve`` approves it."""
    permissions.require(user, "rates.manage", "submit rate schedule versions")
    with transaction.atomic():
        version = RateVersion.objects.select_for_update().select_related("schedule").get(pk=version.pk)
        _check_transition(version, RateVersion.Status.PENDING)
        _validated(version.schedule, version.effective_from, version.document)
        _check_date_free(version.schedule, version.effective_from)
        _transition(version, RateVersion.Status.PENDING)
        schedule = version.schedule
        request = approvals.request_approval(
            maker=user, kind=VERSION_KIND,
            summary=f"Rate schedule {schedule.code} {schedule.name}: new rates from {version.effective_from} "
                    f"(version #{version.pk})"[:300],
            payload={"version_id": version.pk, "schedule": schedule.code,
                     "effective_from": version.effective_from.isoformat(),
                     "url": reverse("rates:schedule", kwargs={"code": schedule.code}) + f"?right={version.pk}"},
            subject=version)
        audit.record(AuditAction.RATES_VERSION_SUBMITTED, user_id=user.pk, obj=version,
                     summary=f"{schedule.code}: version #{version.pk} waits for approval (request #{request.pk})",
                     before={"status": "draft"}, after={"status": "pending"})
    return request


def _pending_request(version: RateVersion) -> ApprovalRequest:
    request = ApprovalRequest.objects.filter(kind=VERSION_KIND, subject_type="rates.rateversion",
                                             subject_id=version.pk, status=ApprovalRequest.Status.PENDING).first()
    if request is None:
        raise RatesError(f"Version #{version.pk} is not waiting for approval.")
    return request


def approve_version(*, user, version: RateVersion, note: str = "") -> RateVersion:
    """Approve a pending version (the approval request behind it)."""
    approvals.approve(request_id=_pending_request(version).pk, approver=user, note=note)
    version.refresh_from_db()
    return version


def reject_version(*, user, version: RateVersion, note: str) -> RateVersion:
    approvals.reject(request_id=_pending_request(version).pk, approver=user, note=note)
    version.refresh_from_db()
    return version


def _on_approved(request: ApprovalRequest, approver) -> None:
    permissions.require(approver, "rates.approve", "approve rate schedule versions")
    # the schedule row serialises approvals, so two approvers of versions for
    # one date get a clear refusal instead of a constraint violation
    version_id = request.payload["version_id"]
    RateSchedule.objects.select_for_update().get(
        pk=RateVersion.objects.values_list("schedule_id", flat=True).get(pk=version_id))
    version = RateVersion.objects.select_for_update().select_related("schedule").get(pk=version_id)
    if version.status != RateVersion.Status.PENDING:
        raise ApprovalError(f"Version #{version.pk} is {version.get_status_display().lower()}, not waiting.")
    try:
        _check_date_free(version.schedule, version.effective_from)
    except RatesError as exc:
        raise ApprovalError(str(exc).removeprefix("Effective from: ")) from exc
    _transition(version, RateVersion.Status.APPROVED, fields={"approved_by": approver, "approved_at": timezone.now()},
                action=AuditAction.RATES_VERSION_APPROVED, user_id=approver.pk,
                summary=f"{version.schedule.code}: version #{version.pk} approved, in force from "
                        f"{version.effective_from}",
                before={"status": "pending"}, after={"status": "approved", "request": request.pk})


def _on_rejected(request: ApprovalRequest, decider) -> None:
    withdrawn = request.status == ApprovalRequest.Status.CANCELLED
    if not withdrawn:  # deciding about rates, either way, is for those who may approve them
        permissions.require(decider, "rates.approve", "reject rate schedule versions")
    version = RateVersion.objects.select_for_update().select_related("schedule").get(pk=request.payload["version_id"])
    new_status = RateVersion.Status.DRAFT if withdrawn else RateVersion.Status.REJECTED
    what = "withdrawn, back to draft" if withdrawn else f"rejected: {request.decision_note}"
    action = AuditAction.RATES_VERSION_WITHDRAWN if withdrawn else AuditAction.RATES_VERSION_REJECTED
    _transition(version, new_status, action=action,
                user_id=decider.pk, summary=f"{version.schedule.code}: version #{version.pk} {what}"[:300],
                before={"status": "pending"}, after={"status": new_status})


def register_approval_handlers() -> None:
    approvals.register(VERSION_KIND, _on_approved, _on_rejected, capability="rates.approve")
    approvals.register_refusals(RatesError)


# --- the real Washington tariffs shipped with the rating engine -------------------

# example file -> (schedule code, schedule name); codes match the demo utility's.
EXAMPLE_SCHEDULES: dict[str, tuple[str, str]] = {
    "snopud_schedule_7.yaml": ("E-7", "Residential (Schedule 7)"),
    "snopud_schedule_20.yaml": ("E-20", "General service, medium loads (Schedule 20)"),
    "snopud_schedule_24.yaml": ("E-24", "Time of use, large loads (Schedule 24)"),
    "seattle_city_light_residential_2024.yaml": ("E-SCL-RES", "Seattle City Light residential (RSC)"),
    "clark_public_utilities_residential_2024.yaml": ("E-CPU-RES", "Clark Public Utilities residential"),
    "clinton_water_district.yaml": ("W-RES", "Residential water, tiered"),
    "general_service_water.yaml": ("W-GEN", "General service water, meter-size base"),
    "lake_stevens_sewer.yaml": ("S-RES", "Residential sewer, per dwelling unit"),
    "lake_stevens_sewer_commercial.yaml": ("S-COM", "Commercial sewer, volume over 750 cf"),
    "example_winter_average_sewer.yaml": ("S-WAV", "Residential sewer, winter average"),
    "union_gap_sewer.yaml": ("S-GEN", "General service sewer, ready-to-serve and volume by meter size"),
}


@dataclass
class ExamplesLoaded:
    schedules_created: list[str] = field(default_factory=list)
    versions_created: list[str] = field(default_factory=list)  # "E-7 2025-04-01"
    versions_kept: list[str] = field(default_factory=list)  # already approved on that date
    schedules: dict[str, RateSchedule] = field(default_factory=dict)  # code -> schedule

    def as_dict(self) -> dict[str, Any]:
        return {"schedules_created": self.schedules_created, "versions_created": self.versions_created,
                "versions_kept": self.versions_kept, "schedules": sorted(self.schedules)}


def load_example_schedules(*, approved_by=None) -> ExamplesLoaded:
    """Schedules with approved versions from ``rating/examples/*.yaml``: one
    version per effective date in each example. Idempotent: a schedule that
    exists is reused, a date that already has an approved version is kept as
    it is (never edited). This is an installation step (demo, a new
    utility's first rates), not a rate change: it is audited and bypasses the
    maker-checker, like a migration. All or nothing."""
    result = ExamplesLoaded()
    paths = {p.name: p for p in example_paths()}
    with transaction.atomic():
        for filename, path in paths.items():
            tariff = load_tariff(path)
            if tariff.service not in dict(SERVICES):
                continue  # e.g. a gas tariff: no such service here
            # an example added later without a code here gets one from its id
            code, name = EXAMPLE_SCHEDULES.get(filename, (tariff.id.upper()[:32], tariff.name[:120]))
            schedule = RateSchedule.objects.filter(code=code).first()
            if schedule is None:
                schedule = RateSchedule.objects.create(
                    code=code, name=name, service=tariff.service,
                    description=f"{tariff.utility or 'Illustrative'}: {tariff.name}", source=tariff.source or "")
                result.schedules_created.append(code)
            elif schedule.service != tariff.service:
                raise RatesError(f"{filename}: a {tariff.service} tariff, but schedule {code} is {schedule.service}.")
            result.schedules[code] = schedule
            approved_dates = set(schedule.versions.filter(status=RateVersion.Status.APPROVED)
                                 .values_list("effective_from", flat=True))
            new_rows = []
            for version in tariff.versions:
                label = f"{code} {version.effective}"
                if version.effective in approved_dates:
                    result.versions_kept.append(label)
                    continue
                single = tariff.model_copy(update={"versions": [version]})
                new_rows.append(RateVersion(
                    schedule=schedule, effective_from=version.effective, document=documents.stored_document(single),
                    status=RateVersion.Status.APPROVED, approved_by=approved_by, approved_at=timezone.now(),
                    notes=f"loaded from rating/examples/{filename}" + (f" — {version.note}" if version.note else "")))
                result.versions_created.append(label)
            RateVersion.objects.bulk_create(new_rows)
        if result.schedules_created or result.versions_created:
            audit.record(AuditAction.RATES_EXAMPLES_LOADED, user_id=approved_by.pk if approved_by else None,
                         object_type="rates.rateschedule",
                         summary=f"Example rate schedules loaded: {len(result.schedules_created)} schedules, "
                                 f"{len(result.versions_created)} versions",
                         after=result.as_dict())
    return result
