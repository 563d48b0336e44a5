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
from decimal import Decimal

from django.db import transaction
from ninja import Field, Query, Router, Schema, Status

from ratepayer import rating
from ratepayer.rates import actions, calculations, documents, queries
from ratepayer.rates.errors import CalculatorError, DocumentError, RatesError
from ratepayer.rates.models import RateSchedule, RateVersion
from ratepayer.staff import permissions

from .errors import ApiError, found
from .schemas import examples, read, write

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


# --- the rate calculator ---------------------------------------------------------

class QuoteLineOut(Schema):
    description: str
    quantity: Decimal
    unit: str
    rate: Decimal
    amount: Decimal


class QuoteOut(Schema):
    model_config = examples({
        "schedule": "E-7", "version_id": 12, "start": "2026-11-01", "end": "2026-11-30", "unit": "kWh",
        "total": "94.86",
        "lines": [{"description": "Basic charge", "quantity": "30", "unit": "day", "rate": "0.3000",
                   "amount": "9.00"},
                  {"description": "Energy", "quantity": "850", "unit": "kWh", "rate": "0.101000",
                   "amount": "85.86"}]})
    schedule: str
    version_id: int = Field(description="the approved rate version in force on the first day")
    start: date
    end: date
    unit: str = Field(description="the unit the usage is counted in (kWh, CCF, …)")
    total: Decimal
    lines: list[QuoteLineOut]


class QuoteIn(Schema):
    on: date = Field(description="the first day of the bill period")
    quantity: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="usage in the schedule's unit")
    days: int = Field(30, ge=1, le=calculations.MAX_DAYS, description="days in the bill period")
    demand_kw: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=4)
    meter_size: str = Field("", max_length=20, description="for charges by meter size (e.g. 5/8)")
    size_class: str = Field("", max_length=20, description="for charges by size class (e.g. small)")
    dwelling_units: int = Field(1, ge=1, le=10_000)


@read(router, "/rate-schedules/{code}/quote", response={200: QuoteOut}, operation_id="quote_rate_schedule",
      summary="Quote one bill on a schedule for a usage (the console's rate calculator; changes nothing)")
def quote_rate_schedule(request, code: str, usage: Query[QuoteIn]):
    permissions.require(request.auth, "account.view", "use the rate calculator")
    schedule = _schedule(code)
    version = queries.version_in_force(schedule, usage.on)
    if version is None:
        raise CalculatorError(f"On: schedule {schedule.code} has no approved version in force on {usage.on}. "
                              "Nothing was quoted.")
    service = rating.ServiceInfo(meter_size=usage.meter_size.strip() or None,
                                 size_class=usage.size_class.strip() or None, dwelling_units=usage.dwelling_units)
    quote = calculations.quote_register(version.document, usage.on, quantity=usage.quantity, days=usage.days,
                                        demand_kw=usage.demand_kw, service=service)
    bill = quote.bills[0]
    return QuoteOut(schedule=schedule.code, version_id=version.pk, start=bill.period.start, end=bill.period.end,
                    unit=quote.unit, total=quote.total,
                    lines=[QuoteLineOut(description=line.description, quantity=line.quantity, unit=line.unit,
                                        rate=line.rate, amount=line.amount) for line in bill.lines])
