"""Meter reads: single read entry, meter changes, route-file and interval-file
imports, and the read exceptions queue (accept, re-read, estimate, correct).

Each endpoint calls the same action as the console's reads pages
(metering.actions), which checks ``reads.manage`` and validates the read
against the meter's history; a read that fails validation is stored and held
in the exceptions queue (``status: exception``) exactly as at the console. A
refused file answers 400 ``file_refused`` with every problem (line and field)
in ``detail`` and imports nothing; the same file again is 409
``already_imported``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from ratepayer.customers.models import Meter, MeterInstallation
from ratepayer.metering import actions, queries
from ratepayer.metering.errors import MeteringError
from ratepayer.metering.models import ReadException, RegisterRead
from ratepayer.staff import permissions

from .errors import found
from .pagination import limit_param, offset_param, page
from .schemas import curl_example, examples, read, write

router = Router()

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _meter(serial: str) -> Meter:
    return found(Meter, f"There is no meter {serial.strip()!r}. Nothing was changed.",
                 serial_number__iexact=serial.strip())


class ReadIn(Schema):
    model_config = examples({"read_date": "2026-12-05", "value": "41872", "read_type": "actual", "note": ""})
    read_date: date = Field(description="not in the future")
    value: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="the register as shown on the dials")
    read_type: str = Field("actual", description="actual, customer or estimated… (not meter_in / meter_out: "
                                                 "use the meter change endpoint)")
    demand_kw: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=4)
    note: str = Field("", max_length=200)


class ReadOut(Schema):
    model_config = examples({"id": 90412, "meter": "E1000123", "read_date": "2026-12-05", "value": "41872.0000",
                             "read_type": "actual", "status": "valid", "consumption": "812.0000",
                             "exception_id": None, "exception_message": None})
    id: int
    meter: str
    read_date: date
    value: Decimal
    read_type: str
    status: str = Field(description="valid, or exception while it waits in the read exceptions queue")
    consumption: Decimal | None
    exception_id: int | None
    exception_message: str | None


def _read_out(read: RegisterRead) -> ReadOut:
    read = RegisterRead.objects.select_related("meter").get(pk=read.pk)
    exception = ReadException.objects.filter(read=read).first()
    return ReadOut(id=read.pk, meter=read.meter.serial_number, read_date=read.read_date, value=read.value,
                   read_type=read.read_type, status=read.status, consumption=read.consumption,
                   exception_id=exception.pk if exception else None,
                   exception_message=exception.message if exception else None)


@write(router, "/meters/{serial}/reads", response={201: ReadOut}, operation_id="enter_read",
       summary="Enter one meter read (validated; an unusual read waits in the exceptions queue)")
def enter_read(request, serial: str, payload: ReadIn):
    permissions.require(request.auth, "reads.manage", "enter meter reads")
    meter = _meter(serial)
    if payload.read_date > timezone.localdate():
        raise MeteringError("Read date: a read cannot be dated in the future.")
    if payload.read_type in ("meter_in", "meter_out"):
        raise MeteringError("Read type: meter in and meter out reads are recorded with a meter change.")
    read = actions.enter_read(user=request.auth, meter=meter, read_date=payload.read_date, value=payload.value,
                              read_type=payload.read_type, demand_kw=payload.demand_kw, note=payload.note)
    return Status(201, _read_out(read))


class MeterChangeIn(Schema):
    model_config = examples({"new_meter": "E1000456", "change_date": "2026-12-05", "out_read": "41872",
                             "in_read": "0", "note": "Dial stuck; exchanged"})
    new_meter: str = Field(description="serial number of the meter put in")
    change_date: date
    out_read: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="the old meter's last register")
    in_read: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="the new meter's first register")
    note: str = ""


class MeterChangeOut(Schema):
    model_config = examples({"out_read": ReadOut.model_config["json_schema_extra"]["examples"][0],
                             "in_read": {**ReadOut.model_config["json_schema_extra"]["examples"][0], "id": 90413,
                                         "meter": "E1000456", "value": "0.0000", "read_type": "meter_in",
                                         "consumption": None}})
    out_read: ReadOut
    in_read: ReadOut


@write(router, "/meters/{serial}/change", response={201: MeterChangeOut}, operation_id="change_meter",
       summary="Exchange a meter: the old meter's out read and the new meter's in read, same day")
def change_meter(request, serial: str, payload: MeterChangeIn):
    permissions.require(request.auth, "reads.manage", "record meter changes")
    old = _meter(serial)
    new = found(Meter, f"New meter: no meter with serial number {payload.new_meter.strip()!r}. Nothing was changed.",
                serial_number=payload.new_meter.strip())
    installation = MeterInstallation.objects.filter(meter=old, removed_on__isnull=True).first()
    if installation is None:
        raise MeteringError(f"Meter {old} is not installed anywhere.")
    out_read, in_read = actions.change_meter(
        user=request.auth, service_point=installation.service_point, new_meter=new, change_date=payload.change_date,
        out_read=payload.out_read, in_read=payload.in_read, note=payload.note)
    return Status(201, MeterChangeOut(out_read=_read_out(out_read), in_read=_read_out(in_read)))


# --- files ---------------------------------------------------------------------------

class ReadFileOut(Schema):
    model_config = examples({"file_id": 77, "name": "route-C07-20261205.csv", "rows": 2950, "reads_created": 2941,
                             "exceptions_created": 9, "duplicates_skipped": 0})
    file_id: int
    name: str
    rows: int
    reads_created: int
    exceptions_created: int
    duplicates_skipped: int


def _upload(file: UploadedFile) -> tuple[bytes, str]:
    if (file.size or 0) > MAX_UPLOAD_BYTES:
        raise MeteringError(f"{file.name}: larger than {MAX_UPLOAD_BYTES // 2**20} MB; use the "
                            "`ratepayer reads import` command")
    return file.read(), file.name or "upload"


@write(router, "/read-files", response={201: ReadFileOut}, operation_id="import_read_file",
       summary="Import a route file of meter reads (refused whole if any line is bad)",
       openapi_extra=curl_example("/read-files", "-F file=@route-C07-20261205.csv"))
def import_read_file(request, file: File[UploadedFile], mapping: Form[str] = ""):
    """``mapping``: a JSON column mapping for a CSV route file (as the console's mapping file)."""
    permissions.require(request.auth, "reads.manage", "import route files")
    content, name = _upload(file)
    loaded = None
    if mapping.strip():
        try:
            loaded = actions.load_mapping(json.loads(mapping))
        except ValueError as exc:
            raise MeteringError(f"Column mapping: not valid JSON ({exc})") from None
    result = actions.import_route_file(user=request.auth, content=content, name=name, mapping=loaded)
    return Status(201, ReadFileOut(file_id=result.file.pk, name=result.file.name, rows=result.rows,
                                   reads_created=result.reads_created, exceptions_created=result.exceptions_created,
                                   duplicates_skipped=result.duplicates_skipped))


class IntervalFileOut(Schema):
    model_config = examples({"file_id": 78, "name": "ami-20261205.csv", "meters": 120, "intervals": 11520,
                             "days": 120, "periods": 0, "gaps": 0})
    file_id: int
    name: str
    meters: int
    intervals: int
    days: int
    periods: int
    gaps: int


@write(router, "/interval-files", response={201: IntervalFileOut}, operation_id="import_interval_file",
       summary="Import interval data: interval CSV, or Green Button XML for one meter",
       openapi_extra=curl_example("/interval-files", "-F file=@ami-20261205.csv"))
def import_interval_file(request, file: File[UploadedFile], meter_serial: Form[str] = ""):
    """``meter_serial``: for a Green Button file, the meter it belongs to."""
    permissions.require(request.auth, "reads.manage", "import interval data")
    content, name = _upload(file)
    result = actions.import_intervals(user=request.auth, content=content, name=name,
                                      meter_serial=meter_serial.strip())
    return Status(201, IntervalFileOut(file_id=result.file.pk, name=result.file.name, meters=result.meters,
                                       intervals=result.intervals, days=result.days, periods=result.periods,
                                       gaps=result.gaps))


# --- the read exceptions queue ------------------------------------------------------

class DecisionIn(Schema):
    model_config = examples({"decision": "correct", "corrected_value": "41278", "note": "Digits transposed"},
                            {"decision": "estimate", "note": "Meter inaccessible: dog"})
    decision: str = Field(description="accept, reread, estimate or correct")
    corrected_value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4,
                                            description="the right reading (decision correct)")
    note: str = Field("", max_length=300)


class ExceptionOut(Schema):
    model_config = examples({"id": 311, "status": "resolved", "decision": "correct", "read_id": 90412,
                             "message": "Usage 9,140 kWh is more than 3 times the usual"})
    id: int
    status: str
    decision: str
    read_id: int
    message: str


class OpenExceptionOut(Schema):
    model_config = examples({"id": 311, "reasons": ["high_usage"], "message": "Usage 9,140 kWh is more than 3 times "
                             "the usual", "expected_consumption": "2810.0000", "read_id": 90412,
                             "meter": "E-1004417", "read_date": "2026-11-30", "value": "51278.0000",
                             "premise": "1409 Maple St", "file": "route-11-20261130.csv"})
    id: int
    reasons: list[str] = Field(description="reason codes: high_usage, low_usage, zero_usage, …")
    message: str
    expected_consumption: Decimal | None
    read_id: int
    meter: str
    read_date: date
    value: Decimal
    premise: str
    file: str = Field(description="the route file the read came in, empty if entered by hand")


class OpenExceptionPage(Schema):
    model_config = examples({"offset": 0, "limit": 50, "next_offset": None,
                             "items": [OpenExceptionOut.model_config["json_schema_extra"]["examples"][0]]})
    offset: int
    limit: int
    next_offset: int | None
    items: list[OpenExceptionOut]


@read(router, "/read-exceptions", response={200: OpenExceptionPage}, operation_id="list_read_exceptions",
      summary="Open read exceptions, oldest read first (the console's exceptions queue)")
def list_read_exceptions(request, offset: int = offset_param(), limit: int = limit_param()):
    permissions.require(request.auth, "reads.manage", "work read exceptions")
    rows = list(queries.open_exceptions()[offset:offset + limit + 1])
    items, next_offset = page(rows, offset, limit)
    return OpenExceptionPage(offset=offset, limit=limit, next_offset=next_offset, items=[
        OpenExceptionOut(id=e.pk, reasons=list(e.reasons), message=e.message,
                         expected_consumption=e.expected_consumption, read_id=e.read_id,
                         meter=e.read.meter.serial_number, read_date=e.read.read_date,
                         value=e.read.value, premise=str(e.read.service_point.premise) if e.read.service_point_id else "",
                         file=e.read.import_file.name if e.read.import_file_id else "")
        for e in items])


@write(router, "/read-exceptions/{exception_id}/decision", response={200: ExceptionOut},
       operation_id="decide_read_exception",
       summary="Work a read exception: accept the read, order a re-read, estimate, or correct the value")
def decide_read_exception(request, exception_id: int, payload: DecisionIn):
    permissions.require(request.auth, "reads.manage", "work read exceptions")
    exception = found(ReadException, f"There is no read exception {exception_id}. Nothing was changed.",
                      pk=exception_id)
    if payload.decision not in ReadException.Decision.values:
        raise MeteringError("Decision: choose accept, reread, estimate or correct.")
    if payload.decision == "correct" and payload.corrected_value is None:
        raise MeteringError("Corrected value: enter the corrected reading.")
    done = actions.work_exception(user=request.auth, exception=exception, decision=payload.decision,
                                  note=payload.note, corrected_value=payload.corrected_value)
    return Status(200, ExceptionOut(id=done.pk, status=done.status, decision=done.decision or "",
                                    read_id=done.read_id, message=done.message))
