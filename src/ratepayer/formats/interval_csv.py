"""Interval data as CSV: ``meter,start,kwh[,seconds]`` then ``TRAILER,<number of rows>``.

Layout (docs/formats-route-file.md, "Interval CSV"): a header, one interval per row —
the meter's serial number, the interval's start in ISO 8601 (with an offset, or the
utility's local time), the energy in kWh and optionally the interval length in
seconds — and a trailer row carrying the number of interval rows, so a file cut off
at a line boundary is told from a whole one. Pure Python: the metering app finds the
meters and stores the intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from ratepayer.formats.errors import FormatError, ValidationReport
from ratepayer.formats.text import decode_text, read_csv_rows

TRAILER = "TRAILER"
HEADER = ("meter", "start", "kwh")


@dataclass(frozen=True, slots=True)
class IntervalRow:
    line: int
    meter_serial: str
    start: int  # epoch seconds, UTC
    wh: int  # energy in watt-hours, rounded half-even from the kWh given
    seconds: int | None


def parse_interval_csv(content: bytes, *, name: str, zone: tzinfo) -> tuple[list[IntervalRow], ValidationReport]:
    """Every row of the file and every problem found (``report.ok`` when none).
    ``zone`` is the utility's time zone, for starts given without an offset."""
    report = ValidationReport(file=name)
    text = decode_text(content, report)
    if text is None:
        return [], report
    rows = read_csv_rows(text, report)
    if rows is None:
        return [], report
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if tuple(header[:3]) != HEADER or header[3:] not in ([], ["seconds"]):
        report.error(1, "header", "the header must be meter,start,kwh (optionally ,seconds)")
        return [], report
    out: list[IntervalRow] = []
    trailer_count: int | None = None
    trailer_line = len(rows)
    data_rows = 0
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if trailer_count is not None:
            report.error(line_no, "file", "data after the trailer line")
            continue
        if row[0].strip() == TRAILER:
            trailer_line = line_no
            try:
                trailer_count = int(row[1])
            except (IndexError, ValueError):
                report.error(line_no, "trailer", f"the trailer must be {TRAILER},<number of intervals>")
                trailer_count = -1
            continue
        data_rows += 1
        if len(row) != len(header):
            report.error(line_no, header[len(row)] if len(row) < len(header) else "file",
                         f"row has {len(row)} fields, the header has {len(header)}"
                         + (" (cut off?)" if len(row) < len(header) else ""))
            continue
        serial, start_text, kwh_text = (c.strip() for c in row[:3])
        if not serial:
            report.error(line_no, "meter", "missing")
        try:
            start = datetime.fromisoformat(start_text.replace("Z", "+00:00"))
            if start.tzinfo is None:
                start = start.replace(tzinfo=zone)
        except ValueError:
            report.error(line_no, "start", f"{start_text[:40]!r} is not an ISO 8601 date-time")
            continue
        try:
            kwh = Decimal(kwh_text)
            if not kwh.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            report.error(line_no, "kwh", f"{kwh_text[:40]!r} is not a number")
            continue
        seconds = None
        if len(header) > 3 and row[3].strip():
            try:
                seconds = int(row[3])
            except ValueError:
                report.error(line_no, "seconds", f"{row[3][:40]!r} is not a whole number")
                continue
        if serial:
            out.append(IntervalRow(line_no, serial, int(start.timestamp()), int((kwh * 1000).to_integral_value()),
                                   seconds))
    if trailer_count is None:
        report.error(len(rows), "trailer", f"the file has no {TRAILER} line: it is incomplete (cut off?), so none of it "
                                      "was imported")
    elif trailer_count is not None and trailer_count not in (-1, data_rows):
        report.error(trailer_line, "trailer", f"the trailer says {trailer_count} intervals but the file has {data_rows}: the "
                                      "file is incomplete")
    return out, report


__all__ = ["FormatError", "IntervalRow", "parse_interval_csv"]
