"""Heat-alert days CSV: National Weather Service heat-related alerts per zone and day.

Layout (docs/formats.md, "Heat-alert days CSV"): a header row naming the columns ``zone``,
``date`` and ``kind`` (any order, any case; an optional ``note`` column), then one row per zone
and day. A multi-day alert is one row per day. ``zone`` is an NWS public forecast zone
(``WAZ039``) or county code (``WAC033``); ``date`` is ``YYYY-MM-DD``; ``kind`` is one of
:data:`KINDS` (the words of the NWS product names are accepted too: "Excessive Heat Warning",
"Heat Advisory"). The same zone, day and kind twice in one file is an error.

Pure Python: the collections app records the rows (``collections.actions.protections``).
Every problem names its line and field; a file with any problem yields no rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ratepayer.formats.errors import ValidationReport
from ratepayer.formats.text import decode_text, read_csv_rows

KINDS = ("excessive_heat_warning", "excessive_heat_watch", "heat_advisory", "extreme_heat_warning",
         "extreme_heat_watch", "other")
ZONE = re.compile(r"^[A-Z]{2}[ZC]\d{3}$")
COLUMNS = ("zone", "date", "kind")
MAX_ROWS = 50_000


@dataclass(frozen=True)
class HeatAlertRow:
    line: int
    zone: str
    day: date
    kind: str
    note: str


def kind_of(text: str) -> str | None:
    """``heat_advisory`` from "Heat Advisory", "heat-advisory" or "heat_advisory"; None if unknown."""
    word = re.sub(r"[\s\-]+", "_", text.strip().lower())
    return word if word in KINDS else None


def zone_of(text: str) -> str | None:
    zone = text.strip().upper()
    return zone if ZONE.match(zone) else None


def parse(content: bytes, *, name: str | None = None) -> tuple[list[HeatAlertRow], list[str]]:
    """Rows and problems (``line N: field: problem``); the rows count only when there are
    no problems."""
    report = ValidationReport(file=name)
    text = decode_text(content, report)
    reader = read_csv_rows(text, report) if text is not None else None
    if reader is None:
        return [], report.lines()
    if not reader or not any(cell.strip() for cell in reader[0]):
        return [], ["line 1: header: the file is empty; the first line names the columns zone,date,kind"]
    header = [cell.strip().lower() for cell in reader[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [f"line 1: header: no column {c!r} (the header must name zone, date and kind)" for c in missing]
    at = {c: header.index(c) for c in (*COLUMNS, "note") if c in header}
    problems: list[str] = []
    rows: list[HeatAlertRow] = []
    seen: dict[tuple[str, date, str], int] = {}
    for number, raw in enumerate(reader[1:], 2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(f"line {number}: file: more than {MAX_ROWS:,} alert rows; split the file")
            break

        def cell(column: str, raw=raw) -> str:
            index = at.get(column)
            return raw[index].strip() if index is not None and index < len(raw) else ""

        zone = zone_of(cell("zone"))
        if zone is None:
            problems.append(f"line {number}: zone: {cell('zone')!r} is not an NWS zone (like WAZ039 or WAC033)")
        try:
            day = date.fromisoformat(cell("date")) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell("date")) else None
        except ValueError:
            day = None
        if day is None:
            problems.append(f"line {number}: date: {cell('date')!r} is not a date (YYYY-MM-DD)")
        kind = kind_of(cell("kind"))
        if kind is None:
            problems.append(f"line {number}: kind: {cell('kind')!r} is not a heat alert kind "
                            f"(one of {', '.join(KINDS)})")
        note = cell("note")
        if len(note) > 200:
            problems.append(f"line {number}: note: longer than 200 characters")
        if zone is None or day is None or kind is None or len(note) > 200:
            continue
        key = (zone, day, kind)
        if key in seen:
            problems.append(f"line {number}: date: {zone} {day} {kind} is already on line {seen[key]}")
            continue
        seen[key] = number
        rows.append(HeatAlertRow(line=number, zone=zone, day=day, kind=kind, note=note))
    if not rows and not problems:
        problems.append("line 2: file: no alert rows after the header")
    return ([] if problems else rows), problems
