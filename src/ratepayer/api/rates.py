"""Rate schedules and their versions: create a schedule, draft or edit a
version (the tariff document as YAML, exactly as in the console's editor),
submit it, approve or reject it.

Each endpoint calls the same rates.actions as the console (``rates.manage``
to draft and submit, ``rates.approve`` — and not the drafter — to approve).
A tariff document that does not validate answers 400
``tariff_document_invalid`` naming the field and its line; nothing is saved.
The rate calculator changes nothing and has no endpoint of its own yet.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from ninja import Field, Router, Schema, Status

from ratepayer.rates import actions, documents
from ratepayer.rates.errors import DocumentError, RatesError
from ratepayer.rates.models import RateSchedule, RateVersion
from ratepayer.staff import permissions

from .errors import ApiError, found
from .schemas import examples, write

router = Router()


def _schedule(code: str) -> RateSchedule:
    return found(RateSchedule, f"There is no rate schedule {code!r}. Nothing was changed.", code=code)


def _version(schedule: RateSchedule, version_id: int) -> RateVersion:
    return found(RateVersion.objects.filter(schedule=schedule),
                 f"Schedule {schedule.code} has no version {version_id}. Nothing was changed.", pk=version_id)


class ScheduleIn(Schema):
    model_config = examples({"code": "E-9", "name": "Residential time of use", "service": "electric",
                             "description": "Optional TOU rate for homes", "source": "Resolution 2026-14"})
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    service: str = Field(description="electric, water or sewer")
    description: str = ""
    source: str = Field("", max_length=300, description="where the adopted tariff is published")


class ScheduleOut(Schema):
    model_config = examples({"id": 9, "code": "E-9", "name": "Residential time of use", "service": "electric"})
    id: int
    code: str
    name: str
    service: str


@write(router, "/rate-schedules", response={201: ScheduleOut}, operation_id="create_rate_schedule",
       summary="Create a rate schedule (then draft its first version)")
def create_rate_schedule(request, payload: ScheduleIn):
    permissions.require(request.auth, "rates.manage", "create rate schedules")
    schedule = actions.create_schedule(user=request.auth, **payload.model_dump())
    return Status(201, ScheduleOut(id=schedule.pk, code=schedule.code, name=schedule.name, service=schedule.service))


class VersionIn(Schema):
    model_config = examples({
        "effective_from": "2027-01-01",
        "document": "name: Residential\nservice: electric\nunit: kWh\ncharges:\n  - name: Basic charge\n"
                    "    type: fixed\n    amount: 7.49\n    per: month\n  - name: Energy\n    type: energy\n"
                    "    rate: 0.1032\n",
        "notes": "Board resolution 2026-14: 3 % increase", "submit": False})
    effective_from: date = Field(description="first day these rates apply")
    document: str = Field(description="the tariff document as YAML (docs/tariffs.md)")
    notes: str = ""
    copied_from: int | None = Field(None, description="the version this draft was copied from (new drafts only)")
    submit: bool = Field(False, description="submit for approval at once")


class VersionOut(Schema):
    model_config = examples({"id": 61, "schedule": "E-9", "effective_from": "2027-01-01", "status": "draft",
                             "approval_request_id": None})
    id: int
    schedule: str
    effective_from: date
    status: str = Field(description="draft, pending, approved or rejected")
    approval_request_id: int | None = Field(description="the approval request when submitted")


def _version_out(version: RateVersion, request_id: int | None = None) -> VersionOut:
    version = RateVersion.objects.select_related("schedule").get(pk=version.pk)
    return VersionOut(id=version.pk, schedule=version.schedule.code, effective_from=version.effective_from,
                      status=version.status, approval_request_id=request_id)


def _tariff(text: str):
    try:
        return documents.tariff_from_yaml(text)
    except DocumentError as exc:
        message = str(exc).removeprefix("Document: ")
        line = exc.line or documents.line_of(text, exc.field)
        if line and not message.startswith("line "):
            message = f"line {line}: {message}"
        raise ApiError(400, "tariff_document_invalid", f"Document: {message} Nothing was saved.") from exc


def _save(request, schedule: RateSchedule, payload: VersionIn, *, draft: RateVersion | None) -> tuple:
    tariff = _tariff(payload.document)
    with transaction.atomic():
        if draft is None:
            copied_from = _version(schedule, payload.copied_from) if payload.copied_from else None
            version = actions.draft_version(user=request.auth, schedule=schedule,
                                            effective_from=payload.effective_from, document=tariff,
                                            notes=payload.notes, copied_from=copied_from)
        else:
            version = actions.update_draft(user=request.auth, version=draft, effective_from=payload.effective_from,
                                           document=tariff, notes=payload.notes)
        approval = actions.submit_for_approval(user=request.auth, version=version) if payload.submit else None
    return version, approval.pk if approval is not None else None


@write(router, "/rate-schedules/{code}/versions", response={201: VersionOut}, operation_id="draft_rate_version",
       summary="Draft a new version of a rate schedule (optionally submit it for approval)")
def draft_rate_version(request, code: str, payload: VersionIn):
    permissions.require(request.auth, "rates.manage", "draft rate schedule versions")
    version, request_id = _save(request, _schedule(code), payload, draft=None)
    return Status(201, _version_out(version, request_id))


@write(router, "/rate-schedules/{code}/versions/{version_id}", response={200: VersionOut},
       operation_id="update_rate_version", summary="Change a draft version (only a draft can change)")
def update_rate_version(request, code: str, version_id: int, payload: VersionIn):
    permissions.require(request.auth, "rates.manage", "draft rate schedule versions")
    schedule = _schedule(code)
    draft = _version(schedule, version_id)
    if draft.status != RateVersion.Status.DRAFT:
        raise RatesError(f"Version #{draft.pk} is {draft.get_status_display().lower()}; only a draft can be changed. "
                         "Draft a new version from a copy instead.")
    version, request_id = _save(request, schedule, payload, draft=draft)
    return Status(200, _version_out(version, request_id))


class VersionDecisionIn(Schema):
    model_config = examples({"decision": "approve", "note": "Matches the adopted tariff"})
    decision: str = Field(description="submit (a draft), approve or reject (a pending version)")
    note: str = Field("", max_length=500)


@write(router, "/rate-schedules/{code}/versions/{version_id}/decision", response={200: VersionOut},
       operation_id="decide_rate_version", summary="Submit a draft version, or approve / reject a pending one")
def decide_rate_version(request, code: str, version_id: int, payload: VersionDecisionIn):
    capability = "rates.manage" if payload.decision == "submit" else "rates.approve"
    permissions.require(request.auth, capability, "decide rate schedule versions")
    version = _version(_schedule(code), version_id)
    request_id = None
    if payload.decision == "submit":
        request_id = actions.submit_for_approval(user=request.auth, version=version).pk
    elif payload.decision == "approve":
        actions.approve_version(user=request.auth, version=version, note=payload.note)
    elif payload.decision == "reject":
        actions.reject_version(user=request.auth, version=version, note=payload.note)
    else:
        raise RatesError("Decision: choose submit, approve or reject.")
    return Status(200, _version_out(version, request_id))
