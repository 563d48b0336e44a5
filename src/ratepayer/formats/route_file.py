"""Route files of register reads (meter-reading handhelds, AMR drive-by exports).

Layout (docs/formats-route-file.md): a CSV with a header naming the columns, one read
per row, then a trailer row ``TRAILER,<number of reads>``. The column names, date
format, delimiter, read-type codes and trailer word come from a mapping (JSON) laid
over :data:`DEFAULT_MAPPING`, because every handheld vendor names them differently.

A file is complete only when it ends with a line break and carries its trailer with
the right count: a file cut off mid-line or at a line boundary is refused whole (see
``read_route_file``). Pure Python: the metering app validates the reads against the
meters and their history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ratepayer.formats.errors import FormatError, ValidationReport
from ratepayer.formats.text import decode_text, read_csv_rows

DEFAULT_MAPPING = {
    "columns": {"meter": "meter", "read_date": "read_date", "reading": "reading", "demand_kw": "demand_kw",
                "read_type": "read_type", "account": "account", "note": "note"},
    "date_format": "%Y-%m-%d",
    "delimiter": ",",
    "read_types": {"actual": "actual", "customer": "customer", "final": "final", "meter_out": "meter_out",
                   "meter_in": "meter_in", "A": "actual", "C": "customer", "F": "final", "O": "meter_out",
                   "I": "meter_in"},
    "trailer": "TRAILER",
}
REQUIRED_COLUMNS = ("meter", "read_date", "reading")


class MappingError(ValueError):
    """A route-file mapping that cannot be used (unknown key, unreadable JSON)."""


@dataclass
class RouteRead:
    """One read of a route file; ``line`` is its 1-based line."""

    meter_serial: str
    read_date: date
    value: Decimal
    read_type: str = "actual"
    demand_kw: Decimal | None = None
    account_number: str = ""
    note: str = ""
    line: int | None = None


def load_mapping(source: str | Path | dict | None) -> dict:
    """A route-file mapping: the default layout updated with the given JSON."""
    if source is None:
        return json.loads(json.dumps(DEFAULT_MAPPING))
    if isinstance(source, dict):
        given = source
    else:
        try:
            given = json.loads(Path(source).read_text())
        except (OSError, ValueError) as exc:
            raise MappingError(f"mapping file {source}: {exc}") from None
    if not isinstance(given, dict):
        raise MappingError("mapping: must be a JSON object")
    mapping = json.loads(json.dumps(DEFAULT_MAPPING))
    for key, value in given.items():
        if key not in mapping:
            raise MappingError(f"mapping: unknown key {key!r} (known: {', '.join(mapping)})")
        if isinstance(mapping[key], dict) and key == "columns":
            unknown = set(value) - set(DEFAULT_MAPPING["columns"])
            if unknown:
                raise MappingError(f"mapping: unknown column field(s) {', '.join(sorted(unknown))}")
            mapping[key] = {**{k: "" for k in DEFAULT_MAPPING["columns"]}, **value}
        elif isinstance(mapping[key], dict):
            mapping[key] = {**mapping[key], **value}
        else:
            mapping[key] = value
    return mapping


def date_form(strftime_format: str) -> str:
    """%m/%d/%Y -> MM/DD/YYYY: how a clerk reads a date format."""
    for code, words in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD")):
        strftime_format = strftime_format.replace(code, words)
    return strftime_format


def _number(text: str, *, line: int, field_name: str, report: ValidationReport, optional: bool = False
            ) -> Decimal | None:
    text = text.strip().replace(",", "")
    if not text:
        if not optional:
            report.error(line, field_name, "missing")
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite():
        report.error(line, field_name, f"{text[:40]!r} is not a number")
        return None
    return value


def parse_route_file(content: bytes, *, name: str, mapping: dict | None = None
                     ) -> tuple[list[RouteRead], ValidationReport]:
    """Every read of the file and every problem found (``report.ok`` when none).

    Problems of the file as a whole (not text, cut off, wrong header, trailer missing
    or wrong) carry no line or the field ``trailer``/``file``; a caller refuses the
    file whole on any problem."""
    mapping = mapping or load_mapping(None)
    report = ValidationReport(file=name)
    text = decode_text(content, report)
    if text is None:
        return [], report
    if not text.strip():
        report.error(1, "file", "the file is empty")
        return [], report
    rows = read_csv_rows(text, report, delimiter=mapping["delimiter"])
    if rows is None:
        return [], report
    header = [h.strip() for h in rows[0]]
    columns = {f: c for f, c in mapping["columns"].items() if c}
    index: dict[str, int] = {}
    for field_name, column in columns.items():
        if column in header:
            index[field_name] = header.index(column)
        elif field_name in REQUIRED_COLUMNS:
            report.error(1, column, f"required column {column!r} is missing from the header")
    if not report.ok:
        return [], report
    trailer = mapping.get("trailer") or None
    reads: list[RouteRead] = []
    trailer_count: int | None = None
    trailer_line = len(rows)
    data_rows = 0
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if trailer_count is not None:
            report.error(line_no, "file", "data after the trailer line")
            continue
        if trailer and row[0].strip() == trailer:
            trailer_line = line_no
            try:
                trailer_count = int(row[1])
            except (IndexError, ValueError):
                report.error(line_no, "trailer", f"the trailer must be {trailer},<number of reads>")
                trailer_count = -1
            continue
        data_rows += 1
        if len(row) != len(header):
            report.error(line_no, header[len(row)] if len(row) < len(header) else "file",
                         f"row has {len(row)} fields, the header has {len(header)}"
                         + (" (cut off?)" if len(row) < len(header) else ""))
            continue

        def cell(field_name: str, row=row) -> str:
            return row[index[field_name]].strip() if field_name in index else ""

        serial = cell("meter")
        if not serial:
            report.error(line_no, columns["meter"], "missing")
        try:
            read_date = datetime.strptime(cell("read_date"), mapping["date_format"]).date()
        except ValueError:
            report.error(line_no, columns["read_date"],
                         f"{cell('read_date')[:40]!r} is not a date in the form {date_form(mapping['date_format'])}")
            read_date = None
        value = _number(cell("reading"), line=line_no, field_name=columns["reading"], report=report)
        demand = _number(cell("demand_kw"), line=line_no, field_name=columns.get("demand_kw", "demand_kw"),
                         report=report, optional=True)
        code = cell("read_type") or "actual"
        read_type = mapping["read_types"].get(code)
        if read_type is None:
            report.error(line_no, columns.get("read_type", "read_type"),
                         f"unknown read type {code[:40]!r} (known: {', '.join(mapping['read_types'])})")
        if serial and read_date and value is not None and read_type:
            reads.append(RouteRead(serial, read_date, value, read_type, demand, cell("account"), cell("note"),
                                   line_no))
    if trailer and trailer_count is None:
        report.error(len(rows), "trailer", f"the file has no {trailer} line: it is incomplete (cut off?), so none of it "
                                      "was imported")
    elif trailer_count is not None and trailer_count != data_rows and trailer_count != -1:
        report.error(trailer_line, "trailer", f"the trailer says {trailer_count} reads but the file has {data_rows}: the file "
                                      "is incomplete")
    return reads, report


def read_route_file(content: bytes, *, name: str, mapping: dict | None = None) -> list[RouteRead]:
    """The reads of a whole, valid route file, or :class:`ReportError` naming every problem."""
    reads, report = parse_route_file(content, name=name, mapping=mapping)
    report.raise_if_errors()
    return reads


__all__ = ["DEFAULT_MAPPING", "FormatError", "MappingError", "RouteRead", "load_mapping", "parse_route_file",
           "read_route_file"]
