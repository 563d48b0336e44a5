"""Bank lockbox files: BAI lockbox fixed-width (read and write) and CSV (read).

Spec: there is no single standard (reference/DOMAIN.md §C.3). We read the BAI lockbox
record structure — 1 immediate address header, 2 service header, 5 lockbox/batch header,
6 detail (one check), 4 overflow (more stubs paid by that check), 7 batch total,
8 lockbox total, 9 destination trailer — with the *typical* 80-byte positions of DOMAIN
§C.3 as the default of a configurable column map (:class:`FixedLayout`), because banks
move fields around. Positions DOMAIN leaves open (7, 8, 9 records and the stub data) are
our defaults, documented in docs/formats.md and below:

    6  48-80   stub data: the bill stub's OCR scan line (formats.scanline template)
    4  12-80   up to 3 (account 10, amount applied in cents 10) pairs, blank-filled
    7  2-4 batch, 5-11 lockbox, 12-17 deposit date, 18-20 item count, 21-30 amount (cents)
    8  2-8 lockbox, 9-14 deposit date, 15-22 item count, 23-34 amount (cents)
    9  2-7 number of records in the file, 1 and 9 included

The customer comes from the stub (scan line), never from the MICR line; MICR routing,
account and check number are kept for secondary matching and ARC conversion. A stub
whose scan line fails its check digit is kept with ``stub.error`` set (it goes to a
suspense queue); that is not a file error.

File integrity is checked and the file is rejected whole (``ReportError`` with line and
field) when Σ type-6 amounts and counts of a batch ≠ its 7 record, Σ of the batches of a
lockbox ≠ its 8 record, or the 9 record count ≠ the records in the file; likewise for
records out of order, non-numeric amounts, bad dates or overflow records that do not
follow their check.

CSV (bank exports) are read with a configurable column mapping (:class:`CsvLayout`): one
row per stub, rows with the same lockbox/batch/item key form one check; optional expected
totals are checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ratepayer.formats import scanline as scanline_module
from ratepayer.formats.errors import FormatError, ValidationReport
from ratepayer.formats.text import amount_refusal, decode_text, parse_amount, read_csv_rows
from ratepayer.kernel.money import from_cents, to_cents


@dataclass(frozen=True, slots=True)
class Col:
    """A fixed-width field: 1-based start and end positions, inclusive."""

    start: int
    end: int

    @property
    def width(self) -> int:
        return self.end - self.start + 1

    def cut(self, record: str) -> str:
        return record[self.start - 1 : self.end]


@dataclass(frozen=True)
class FixedLayout:
    """Column map of a BAI lockbox fixed-width file (defaults: DOMAIN §C.3, 80 bytes)."""

    record_length: int = 80
    # 1 immediate address header
    header_priority: Col = Col(2, 3)
    header_destination: Col = Col(4, 13)
    header_origin: Col = Col(14, 23)
    header_date: Col = Col(24, 29)  # YYMMDD
    header_time: Col = Col(30, 33)  # HHMM
    # 2 service header
    service_destination: Col = Col(2, 11)
    service_origin: Col = Col(12, 21)
    service_reference: Col = Col(22, 24)
    service_type: Col = Col(25, 27)  # 400 = lockbox
    service_record_size: Col = Col(28, 30)
    service_blocking: Col = Col(31, 34)
    service_format: Col = Col(35, 35)
    # 5 lockbox / batch header
    batch_batch: Col = Col(2, 4)
    batch_lockbox: Col = Col(5, 11)
    batch_deposit_date: Col = Col(12, 17)  # YYMMDD
    batch_destination: Col = Col(18, 27)
    batch_origin: Col = Col(28, 37)
    # 6 detail (one check)
    detail_batch: Col = Col(2, 4)
    detail_item: Col = Col(5, 7)
    detail_amount: Col = Col(8, 17)  # cents
    detail_routing: Col = Col(18, 27)
    detail_account: Col = Col(28, 37)
    detail_check_number: Col = Col(38, 47)
    detail_stub: Col = Col(48, 80)
    # 4 overflow
    overflow_batch: Col = Col(2, 4)
    overflow_item: Col = Col(5, 7)
    overflow_type: Col = Col(8, 8)  # '6' = remittance overflow
    overflow_sequence: Col = Col(9, 10)
    overflow_last: Col = Col(11, 11)  # '9' last, '0' more follow
    overflow_data: Col = Col(12, 80)
    overflow_account_width: int = 10
    overflow_amount_width: int = 10
    # 7 batch total
    batch_total_batch: Col = Col(2, 4)
    batch_total_lockbox: Col = Col(5, 11)
    batch_total_deposit_date: Col = Col(12, 17)
    batch_total_count: Col = Col(18, 20)
    batch_total_amount: Col = Col(21, 30)
    # 8 lockbox total
    lockbox_total_lockbox: Col = Col(2, 8)
    lockbox_total_deposit_date: Col = Col(9, 14)
    lockbox_total_count: Col = Col(15, 22)
    lockbox_total_amount: Col = Col(23, 34)
    # 9 destination trailer
    trailer_record_count: Col = Col(2, 7)
    # the scan line printed on our stubs
    scan_template: scanline_module.ScanLineTemplate = scanline_module.DEFAULT


DEFAULT_LAYOUT = FixedLayout()


@dataclass(slots=True)
class Stub:
    """One bill stub paid by a check: from the 6 record's scan line or a 4 overflow pair."""

    line: int
    account: str
    amount_due: Decimal | None = None  # printed on the stub (scan line)
    amount_applied: Decimal | None = None  # overflow pair amount
    due_date: date | None = None
    scan_line: str = ""
    error: str | None = None  # scan line unreadable / check digit failed -> suspense


@dataclass(slots=True)
class LockboxItem:
    line: int
    lockbox: str
    deposit_date: date | None
    batch: str
    item: str
    amount: Decimal
    routing: str
    account: str  # MICR account: the payer's bank account, not the customer
    check_number: str
    stubs: list[Stub] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, date | None, str, str]:
        """Duplicate-detection key: lockbox, deposit date, batch, item (DOMAIN §C.3)."""
        return (self.lockbox, self.deposit_date, self.batch, self.item)


@dataclass(slots=True)
class LockboxBatch:
    line: int
    lockbox: str
    deposit_date: date | None
    batch: str
    items: list[LockboxItem] = field(default_factory=list)
    control_count: int | None = None
    control_amount: Decimal | None = None

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal("0.00"))


@dataclass(slots=True)
class LockboxFile:
    destination: str
    origin: str
    created: datetime | None
    batches: list[LockboxBatch]
    record_count: int
    report: ValidationReport

    @property
    def items(self) -> list[LockboxItem]:
        return [i for b in self.batches for i in b.items]

    @property
    def total(self) -> Decimal:
        return sum((b.total for b in self.batches), Decimal("0.00"))

    def lockbox_totals(self) -> dict[tuple[str, date | None], Decimal]:
        """Σ per lockbox and deposit date — what the bank statement shows as BAI2 115."""
        totals: dict[tuple[str, date | None], Decimal] = {}
        for b in self.batches:
            key = (b.lockbox, b.deposit_date)
            totals[key] = totals.get(key, Decimal("0.00")) + b.total
        return totals

    def summary(self) -> str:
        return f"{len(self.batches)} batch(es), {len(self.items)} item(s), total ${self.total:,.2f}"


# --------------------------------------------------------------------------- fixed-width reading


def _yymmdd(text: str) -> date | None:
    if len(text) != 6 or not text.isdigit():
        return None
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


class _Rec:
    __slots__ = ("text", "line", "report")

    def __init__(self, text: str, line: int, report: ValidationReport) -> None:
        self.text = text
        self.line = line
        self.report = report

    def s(self, col: Col) -> str:
        return col.cut(self.text).strip()

    def cents(self, col: Col, name: str) -> int | None:
        value = col.cut(self.text).strip()
        if not value.isdigit():
            self.report.error(self.line, name, f"{value!r} is not an amount in cents")
            return None
        return int(value)

    def number(self, col: Col, name: str) -> int | None:
        value = col.cut(self.text).strip()
        if not value.isdigit():
            self.report.error(self.line, name, f"{value!r} is not a number")
            return None
        return int(value)

    def day(self, col: Col, name: str) -> date | None:
        value = col.cut(self.text)
        parsed = _yymmdd(value)
        if parsed is None:
            self.report.error(self.line, name, f"{value!r} is not a date (YYMMDD)")
        return parsed


def _stub_from_scan(text: str, line: int, layout: FixedLayout) -> Stub:
    try:
        parsed = layout.scan_template.parse(text)
    except FormatError as exc:
        return Stub(line=line, account="", scan_line=text, error=str(exc))
    values = parsed.values
    return Stub(
        line=line,
        account=str(values.get("account", "")).lstrip("0") or "0",
        amount_due=values.get("amount_due"),
        due_date=values.get("due_date"),
        scan_line=text,
    )


def parse_fixed(
    source: str | bytes | Path, *, layout: FixedLayout = DEFAULT_LAYOUT, file_name: str | None = None
) -> LockboxFile:
    """Parse and check a fixed-width lockbox file; problems are in ``result.report``."""
    name = str(source) if isinstance(source, Path) else None
    report = ValidationReport(file=file_name or name)
    result = LockboxFile("", "", None, [], 0, report)
    if isinstance(source, str):
        text = source
    else:
        decoded = decode_text(source.read_bytes() if isinstance(source, Path) else source, report)
        if decoded is None:
            return result
        text = decoded
    batch: LockboxBatch | None = None
    item: LockboxItem | None = None
    overflow_seq = 0
    overflow_done = False
    closed: list[LockboxBatch] = []  # batches closed by a 7, not yet by an 8
    trailer_seen = False
    header_seen = False
    records = 0
    length = layout.record_length
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            report.error(number, "record", "blank line")
            continue
        if len(raw) > length:
            if raw[length:].strip():
                report.error(number, "record length", f"record is {len(raw)} characters, layout has {length}")
            raw = raw[:length]
        rec = _Rec(raw.ljust(length), number, report)
        kind = raw[0]
        records += 1
        if trailer_seen:
            report.error(number, "record type", f"record type {kind!r} after the trailer (9)")
            continue
        if kind != "1" and not header_seen:
            report.error(number, "record type", "file does not begin with a header (1) record")
            header_seen = True
        if kind == "1":
            if header_seen:
                report.error(number, "record type", "header (1) is not the first record")
            header_seen = True
            result.destination = rec.s(layout.header_destination)
            result.origin = rec.s(layout.header_origin)
            day = rec.day(layout.header_date, "file date")
            hhmm = rec.s(layout.header_time)
            if day is not None:
                hour, minute = (int(hhmm[:2]), int(hhmm[2:])) if len(hhmm) == 4 and hhmm.isdigit() else (0, 0)
                try:
                    result.created = datetime(day.year, day.month, day.day, hour, minute)
                except ValueError:
                    report.error(number, "file time", f"{hhmm!r} is not a time (HHMM)")
        elif kind == "2":
            service = rec.s(layout.service_type)
            if service and service != "400":
                report.error(number, "service type", f"{service!r} is not 400 (lockbox)")
        elif kind == "5":
            if batch is not None:
                report.error(
                    number,
                    "record type",
                    f"batch header inside the batch begun on line {batch.line} (7 missing)",
                )
            batch = LockboxBatch(
                line=number,
                lockbox=rec.s(layout.batch_lockbox),
                deposit_date=rec.day(layout.batch_deposit_date, "deposit date"),
                batch=rec.s(layout.batch_batch),
            )
            if not batch.lockbox:
                report.error(number, "lockbox number", "is blank")
            result.batches.append(batch)
            item = None
        elif kind == "6":
            if batch is None:
                report.error(number, "record type", "detail (6) outside a batch")
                continue
            if item is not None and not overflow_done and overflow_seq:
                report.error(
                    number,
                    "overflow",
                    f"the overflow records of line {item.line} do not end with a last (9) flag",
                )
            cents = rec.cents(layout.detail_amount, "amount")
            if rec.s(layout.detail_batch) != batch.batch:
                report.error(
                    number,
                    "batch number",
                    f"{rec.s(layout.detail_batch)!r} differs from the batch header's {batch.batch!r}",
                )
            item = LockboxItem(
                line=number,
                lockbox=batch.lockbox,
                deposit_date=batch.deposit_date,
                batch=batch.batch,
                item=rec.s(layout.detail_item),
                amount=from_cents(cents or 0),
                routing=rec.s(layout.detail_routing),
                account=rec.s(layout.detail_account),
                check_number=rec.s(layout.detail_check_number),
            )
            if not item.item:
                report.error(number, "item number", "is blank")
            stub_text = rec.s(layout.detail_stub)
            if stub_text:
                item.stubs.append(_stub_from_scan(stub_text, number, layout))
            batch.items.append(item)
            overflow_seq = 0
            overflow_done = False
        elif kind == "4":
            if item is None or batch is None:
                report.error(number, "record type", "overflow (4) without a detail (6) before it")
                continue
            if rec.s(layout.overflow_batch) != item.batch or rec.s(layout.overflow_item) != item.item:
                report.error(
                    number,
                    "item number",
                    f"overflow for batch {rec.s(layout.overflow_batch)} item {rec.s(layout.overflow_item)} "
                    f"follows the check of batch {item.batch} item {item.item}",
                )
            if overflow_done:
                report.error(number, "overflow sequence", "overflow after the record flagged last (9)")
            seq = rec.number(layout.overflow_sequence, "overflow sequence")
            if seq is not None and seq != overflow_seq + 1:
                report.error(number, "overflow sequence", f"is {seq}, expected {overflow_seq + 1}")
            overflow_seq = seq or overflow_seq + 1
            last = rec.s(layout.overflow_last)
            if last not in ("0", "9"):
                report.error(number, "last overflow flag", f"{last!r} must be 9 (last) or 0 (more follow)")
            overflow_done = last == "9"
            data = layout.overflow_data.cut(rec.text)
            width = layout.overflow_account_width + layout.overflow_amount_width
            for start in range(0, len(data) - width + 1, width):
                pair = data[start : start + width]
                if not pair.strip():
                    continue
                account = pair[: layout.overflow_account_width].strip()
                amount_text = pair[layout.overflow_account_width :].strip()
                if not amount_text.isdigit():
                    report.error(number, "overflow amount", f"{amount_text!r} is not an amount in cents")
                    continue
                item.stubs.append(
                    Stub(
                        line=number,
                        account=account.lstrip("0") or "0",
                        amount_applied=from_cents(int(amount_text)),
                    )
                )
        elif kind == "7":
            if batch is None:
                report.error(number, "record type", "batch total (7) without a batch header")
                continue
            if item is not None and overflow_seq and not overflow_done:
                report.error(
                    number,
                    "overflow",
                    f"the overflow records of line {item.line} do not end with a last (9) flag",
                )
            count = rec.number(layout.batch_total_count, "batch item count")
            cents = rec.cents(layout.batch_total_amount, "batch amount")
            batch.control_count = count
            batch.control_amount = None if cents is None else from_cents(cents)
            if count is not None and count != len(batch.items):
                report.error(
                    number,
                    "batch item count",
                    f"says {count}, batch {batch.batch} has {len(batch.items)} items",
                )
            if cents is not None and from_cents(cents) != batch.total:
                report.error(
                    number,
                    "batch amount",
                    f"says {from_cents(cents)}, items of batch {batch.batch} total {batch.total}",
                )
            if rec.s(layout.batch_total_batch) != batch.batch:
                report.error(
                    number,
                    "batch number",
                    f"{rec.s(layout.batch_total_batch)!r} differs from the batch header's {batch.batch!r}",
                )
            closed.append(batch)
            batch = None
            item = None
        elif kind == "8":
            if batch is not None:
                report.error(
                    number,
                    "record type",
                    f"lockbox total inside the batch begun on line {batch.line} (7 missing)",
                )
                closed.append(batch)
                batch = None
            lockbox = rec.s(layout.lockbox_total_lockbox)
            mine = [b for b in closed if b.lockbox == lockbox]
            if not mine:
                report.error(number, "lockbox number", f"{lockbox!r} has no batches before this total")
            count = rec.number(layout.lockbox_total_count, "lockbox item count")
            cents = rec.cents(layout.lockbox_total_amount, "lockbox amount")
            n_items = sum(len(b.items) for b in mine)
            total = sum((b.total for b in mine), Decimal("0.00"))
            if count is not None and count != n_items:
                report.error(
                    number, "lockbox item count", f"says {count}, lockbox {lockbox} has {n_items} items"
                )
            if cents is not None and from_cents(cents) != total:
                report.error(
                    number,
                    "lockbox amount",
                    f"says {from_cents(cents)}, batches of lockbox {lockbox} total {total}",
                )
            others = [b for b in closed if b.lockbox != lockbox]
            for b in others:
                report.error(
                    b.line, "lockbox total (8)", f"missing for lockbox {b.lockbox} before line {number}"
                )
            closed = []
        elif kind == "9":
            trailer_seen = True
            count = rec.number(layout.trailer_record_count, "record count")
            if count is not None and count != records:
                report.error(number, "record count", f"says {count}, file has {records} records")
        else:
            report.error(
                number, "record type", f"{kind!r} is not a lockbox record type (1, 2, 5, 6, 4, 7, 8, 9)"
            )
    last_line = len(lines) or 1
    if batch is not None:
        report.error(last_line, "batch total (7)", f"missing for the batch begun on line {batch.line}")
    for b in closed:
        report.error(
            last_line, "lockbox total (8)", f"missing for lockbox {b.lockbox} (batch begun on line {b.line})"
        )
    if not trailer_seen:
        report.error(last_line, "trailer (9)", "missing: the file is truncated")
    result.record_count = records
    report.problems.sort(key=lambda p: p.line or 0)
    return result


def read_fixed(source: str | bytes | Path, *, layout: FixedLayout = DEFAULT_LAYOUT) -> LockboxFile:
    """Parse a fixed-width lockbox file; return it only when every total matches (else ReportError)."""
    result = parse_fixed(source, layout=layout)
    result.report.raise_if_errors()
    return result


# --------------------------------------------------------------------------- fixed-width writing


def _put(buf: list[str], col: Col, value: str, name: str, *, numeric: bool = False) -> None:
    if len(value) > col.width:
        raise ValueError(f"{name}: {value!r} does not fit {col.width} characters")
    text = value.zfill(col.width) if numeric else value.ljust(col.width)
    buf[col.start - 1 : col.end] = text


def _record(kind: str, length: int) -> list[str]:
    buf = [" "] * length
    buf[0] = kind
    return buf


def write_fixed(
    *,
    destination: str,
    origin: str,
    created: datetime,
    lockbox: str,
    deposit_date: date,
    batches: Sequence[Sequence[LockboxItem]],
    layout: FixedLayout = DEFAULT_LAYOUT,
    line_ending: str = "\n",
) -> str:
    """A fixed-width lockbox file for one lockbox and deposit date.

    Each batch is a list of items; an item's first stub goes in the 6 record (its
    ``scan_line``), further stubs in 4 overflow records as (account, amount applied)
    pairs. Batch numbers are 001…, item numbers 001… within the batch (the values in
    the given items are ignored). Meant for tests and benchmarks that need large files.
    """
    n = layout.record_length
    out: list[str] = []
    ymd = deposit_date.strftime("%y%m%d")

    rec = _record("1", n)
    _put(rec, layout.header_priority, "01", "priority")
    _put(rec, layout.header_destination, destination, "destination")
    _put(rec, layout.header_origin, origin, "origin")
    _put(rec, layout.header_date, created.strftime("%y%m%d"), "file date")
    _put(rec, layout.header_time, created.strftime("%H%M"), "file time")
    out.append("".join(rec))
    rec = _record("2", n)
    _put(rec, layout.service_destination, destination, "destination")
    _put(rec, layout.service_origin, origin, "origin")
    _put(rec, layout.service_type, "400", "service type")
    _put(rec, layout.service_record_size, str(n), "record size", numeric=True)
    _put(rec, layout.service_format, "1", "format")
    out.append("".join(rec))
    pair_width = layout.overflow_account_width + layout.overflow_amount_width
    pairs_per_record = layout.overflow_data.width // pair_width
    lockbox_count = 0
    lockbox_cents = 0
    for batch_index, items in enumerate(batches, start=1):
        batch_no = str(batch_index).zfill(layout.batch_batch.width)
        rec = _record("5", n)
        _put(rec, layout.batch_batch, batch_no, "batch")
        _put(rec, layout.batch_lockbox, lockbox, "lockbox")
        _put(rec, layout.batch_deposit_date, ymd, "deposit date")
        _put(rec, layout.batch_destination, destination, "destination")
        _put(rec, layout.batch_origin, origin, "origin")
        out.append("".join(rec))
        batch_cents = 0
        for item_index, item in enumerate(items, start=1):
            item_no = str(item_index).zfill(layout.detail_item.width)
            cents = to_cents(item.amount)
            if cents < 0:
                raise ValueError(f"batch {batch_index} item {item_index}: negative amount")
            rec = _record("6", n)
            _put(rec, layout.detail_batch, batch_no, "batch")
            _put(rec, layout.detail_item, item_no, "item")
            _put(rec, layout.detail_amount, str(cents), "amount", numeric=True)
            _put(rec, layout.detail_routing, item.routing, "routing")
            _put(rec, layout.detail_account, item.account, "account")
            _put(rec, layout.detail_check_number, item.check_number, "check number")
            if item.stubs:
                _put(rec, layout.detail_stub, item.stubs[0].scan_line, "stub")
            out.append("".join(rec))
            extra = item.stubs[1:]
            chunks = [extra[i : i + pairs_per_record] for i in range(0, len(extra), pairs_per_record)]
            for seq, chunk in enumerate(chunks, start=1):
                rec = _record("4", n)
                _put(rec, layout.overflow_batch, batch_no, "batch")
                _put(rec, layout.overflow_item, item_no, "item")
                _put(rec, layout.overflow_type, "6", "overflow type")
                _put(rec, layout.overflow_sequence, str(seq), "overflow sequence", numeric=True)
                _put(rec, layout.overflow_last, "9" if seq == len(chunks) else "0", "last flag")
                data = "".join(
                    s.account.zfill(layout.overflow_account_width)
                    + str(to_cents(s.amount_applied or 0)).zfill(layout.overflow_amount_width)
                    for s in chunk
                )
                _put(rec, layout.overflow_data, data, "overflow data")
                out.append("".join(rec))
            batch_cents += cents
        rec = _record("7", n)
        _put(rec, layout.batch_total_batch, batch_no, "batch")
        _put(rec, layout.batch_total_lockbox, lockbox, "lockbox")
        _put(rec, layout.batch_total_deposit_date, ymd, "deposit date")
        _put(rec, layout.batch_total_count, str(len(items)), "batch item count", numeric=True)
        _put(rec, layout.batch_total_amount, str(batch_cents), "batch amount", numeric=True)
        out.append("".join(rec))
        lockbox_count += len(items)
        lockbox_cents += batch_cents
    rec = _record("8", n)
    _put(rec, layout.lockbox_total_lockbox, lockbox, "lockbox")
    _put(rec, layout.lockbox_total_deposit_date, ymd, "deposit date")
    _put(rec, layout.lockbox_total_count, str(lockbox_count), "lockbox item count", numeric=True)
    _put(rec, layout.lockbox_total_amount, str(lockbox_cents), "lockbox amount", numeric=True)
    out.append("".join(rec))
    rec = _record("9", n)
    _put(rec, layout.trailer_record_count, str(len(out) + 1), "record count", numeric=True)
    out.append("".join(rec))
    return line_ending.join(out) + line_ending


# --------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CsvLayout:
    """Column mapping of a bank's lockbox CSV export (header names, or 0-based indexes
    when ``has_header`` is False). One row per stub; rows with the same lockbox, deposit
    date, batch and item are one check. Amounts are dollars with a decimal point."""

    lockbox: str | int = "lockbox"
    deposit_date: str | int = "deposit_date"
    batch: str | int = "batch"
    item: str | int = "item"
    amount: str | int = "check_amount"
    routing: str | int = "routing"
    account: str | int = "account"
    check_number: str | int = "check_number"
    stub_account: str | int = "stub_account"
    stub_amount: str | int | None = "stub_amount"
    scan_line: str | int | None = None  # when the export carries the raw scan line
    trailer: str | None = "TRAILER"  # first cell of the control row; None: the bank's export has none
    date_format: str = "%Y-%m-%d"
    has_header: bool = True
    delimiter: str = ","


def parse_csv(
    source: str | bytes | Path,
    *,
    layout: CsvLayout | None = None,
    scan_template: scanline_module.ScanLineTemplate = scanline_module.DEFAULT,
    expected_count: int | None = None,
    expected_total: Decimal | None = None,
    file_name: str | None = None,
) -> LockboxFile:
    """Parse a lockbox CSV export; a row that cannot be read is an error with line and column.

    The file must prove itself complete: its last row is the trailer
    ``TRAILER,<number of checks>,<total of the checks>`` (``layout.trailer``). A bank
    whose export has no trailer (``layout.trailer=None``) is read only with the
    ``expected_count`` and ``expected_total`` of its transmittal; without either, a
    file cut off at a line boundary would look whole, so it is refused."""
    name = str(source) if isinstance(source, Path) else file_name
    layout = layout or CsvLayout()
    report = ValidationReport(file=name)
    empty = LockboxFile("", "", None, [], 0, report)
    if isinstance(source, str):
        text: str | None = source
    else:
        text = decode_text(source.read_bytes() if isinstance(source, Path) else source, report)
    rows = read_csv_rows(text, report, delimiter=layout.delimiter) if text is not None else None
    if rows is None:
        return empty
    if layout.trailer is None and (expected_count is None or expected_total is None):
        report.error(None, "trailer", "this layout has no trailer row: give the item count and total of the bank's "
                                      "transmittal, so a file cut short can be told from a whole one")
        return empty
    start = 0
    index: dict[str, int] = {}
    if layout.has_header:
        if not rows:
            report.error(1, "header", "missing")
            return LockboxFile("", "", None, [], 0, report)
        index = {h.strip().lower(): i for i, h in enumerate(rows[0])}
        start = 1

    def column(key: str | int | None, what: str) -> int | None:
        if key is None:
            return None
        if isinstance(key, int):
            return key
        found = index.get(key.strip().lower())
        if found is None:
            report.error(1, what, f"column {key!r} is not in the header")
        return found

    cols = {
        name_: column(getattr(layout, name_), name_.replace("_", " "))
        for name_ in (
            "lockbox",
            "deposit_date",
            "batch",
            "item",
            "amount",
            "routing",
            "account",
            "check_number",
            "stub_account",
            "stub_amount",
            "scan_line",
        )
    }
    if not report.ok:
        return LockboxFile("", "", None, [], 0, report)
    batches: dict[tuple[str, date | None, str], LockboxBatch] = {}
    items: dict[tuple[str, date | None, str, str], LockboxItem] = {}

    def cell(row: list[str], key: str) -> str:
        i = cols[key]
        if i is None or i >= len(row):
            return ""
        return row[i].strip()

    trailer: tuple[int, int | None, Decimal | None] | None = None  # line, count, total
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(c.strip() for c in row):
            continue
        if trailer is not None:
            report.error(number, "record", f"a row after the {layout.trailer} row")
            continue
        if layout.trailer and row[0].strip().upper() == layout.trailer.upper():
            trailer = _csv_trailer(row, number, layout.trailer, report)
            continue
        try:
            deposit = datetime.strptime(cell(row, "deposit_date"), layout.date_format).date()
        except ValueError:
            report.error(
                number, "deposit date", f"{cell(row, 'deposit_date')!r} is not a date ({layout.date_format})"
            )
            deposit = None
        amount = _csv_amount(cell(row, "amount"), number, "check amount", report)
        lockbox, batch_no, item_no = cell(row, "lockbox"), cell(row, "batch"), cell(row, "item")
        for value, what in ((lockbox, "lockbox"), (batch_no, "batch"), (item_no, "item")):
            if not value:
                report.error(number, what, "is blank")
            elif not _CSV_ID.fullmatch(value):
                report.error(number, what, f"{value[:30]!r} is not an identifier (letters, digits and - only, "
                                           "at most 20)")
        bkey = (lockbox, deposit, batch_no)
        batch = batches.get(bkey)
        if batch is None:
            batch = batches[bkey] = LockboxBatch(number, lockbox, deposit, batch_no)
        ikey = (lockbox, deposit, batch_no, item_no)
        item = items.get(ikey)
        if item is None:
            item = items[ikey] = LockboxItem(
                line=number,
                lockbox=lockbox,
                deposit_date=deposit,
                batch=batch_no,
                item=item_no,
                amount=amount if amount is not None else Decimal("0.00"),
                routing=cell(row, "routing"),
                account=cell(row, "account"),
                check_number=cell(row, "check_number"),
            )
            batch.items.append(item)
        elif amount is not None and amount != item.amount:
            report.error(
                number,
                "check amount",
                f"{amount} differs from {item.amount} on line {item.line} for the same check",
            )
        scan = cell(row, "scan_line")
        if scan:
            stub = _stub_from_scan(scan, number, FixedLayout(scan_template=scan_template))
        else:
            stub = Stub(line=number, account=cell(row, "stub_account"))
        if cols["stub_amount"] is not None and cell(row, "stub_amount"):
            stub.amount_applied = _csv_amount(cell(row, "stub_amount"), number, "stub amount", report)
        if stub.account or stub.scan_line:
            item.stubs.append(stub)
    result = LockboxFile("", "", None, list(batches.values()), len(rows), report)
    if layout.trailer and trailer is None:
        report.error(len(rows), "trailer", f"the file has no {layout.trailer},<checks>,<total> row: it is incomplete "
                                           "(cut off?), so none of it was imported")
    elif trailer is not None:
        line, count, total = trailer
        if count is not None and count != len(result.items):
            report.error(line, "trailer count", f"says {count} checks, the file has {len(result.items)}: the file is "
                                                "incomplete")
        if total is not None and total != result.total:
            report.error(line, "trailer total", f"says {total}, the checks total {result.total}: the file is "
                                                "incomplete or damaged")
    if expected_count is not None and expected_count != len(result.items):
        report.error(None, "item count", f"expected {expected_count}, file has {len(result.items)} checks")
    if expected_total is not None and expected_total != result.total:
        report.error(None, "total", f"expected {expected_total}, checks total {result.total}")
    return result


_CSV_ID = re.compile(r"[A-Za-z0-9-]{1,20}")


def _csv_amount(text: str, line: int, what: str, report: ValidationReport) -> Decimal | None:
    value = parse_amount(text)
    if value is None:
        report.error(line, what, amount_refusal(text))
    return value


def _csv_trailer(row: list[str], line: int, word: str, report: ValidationReport
                 ) -> tuple[int, int | None, Decimal | None]:
    count_text = row[1].strip() if len(row) > 1 else ""
    count = int(count_text) if count_text.isdigit() else None
    if count is None:
        report.error(line, "trailer count", f"{count_text[:20]!r} is not a number of checks")
    total = _csv_amount(row[2] if len(row) > 2 else "", line, "trailer total", report)
    if any(c.strip() for c in row[3:]):
        report.error(line, "trailer", f"the trailer is {word},<number of checks>,<total of the checks>")
    return line, count, total


def read_csv(source: str | bytes | Path, **kwargs: Any) -> LockboxFile:
    result = parse_csv(source, **kwargs)
    result.report.raise_if_errors()
    return result


def items_from(rows: Iterable[tuple[Decimal, str, str, str, Sequence[Stub]]]) -> list[LockboxItem]:
    """Convenience for writers: (amount, routing, account, check number, stubs) -> items."""
    return [
        LockboxItem(
            line=0,
            lockbox="",
            deposit_date=None,
            batch="",
            item="",
            amount=amount,
            routing=routing,
            account=account,
            check_number=check,
            stubs=list(stubs),
        )
        for amount, routing, account, check, stubs in rows
    ]
