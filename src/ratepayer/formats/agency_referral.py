"""The collection-agency referral file: the debts a utility assigns to an agency.

Layout (documented in docs/user-guide/assign-to-a-collection-agency.md): UTF-8 CSV,
comma-delimited, CRLF line ends, fields quoted only when they hold a comma, quote
or line break. The first line names the columns (``COLUMNS``); one ``D`` (detail)
line per assigned account; the last line is the trailer
``T,<number of detail lines>,<sum of amount_assigned>`` so the agency can tell a
whole file from a cut one. Amounts are decimal strings with two places, dates ISO
``YYYY-MM-DD``.

| column | meaning |
|---|---|
| record_type | ``D`` |
| utility_reference | the assignment's number (quote it on remittances) |
| account_number | the utility's account number |
| debtor_name | the customer's name |
| address_line1, address_line2, city, state, zip | the last mailing address |
| phone, email | the customer's primary phone and e-mail, when known |
| amount_assigned | the debt assigned |
| service_ended_on | the day the account was closed |
| advised_on | the day the debtor was told it may be assigned (RCW 19.16.500) |
| assigned_on | the day of the assignment |

Pure Python: ``collections`` builds the rows, this module writes and reads them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from ratepayer.formats.errors import FormatError

COLUMNS = ("record_type", "utility_reference", "account_number", "debtor_name", "address_line1", "address_line2",
           "city", "state", "zip", "phone", "email", "amount_assigned", "service_ended_on", "advised_on",
           "assigned_on")
DETAIL = "D"
TRAILER = "T"


@dataclass(frozen=True)
class ReferralRow:
    utility_reference: str
    account_number: str
    debtor_name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip: str
    phone: str
    email: str
    amount_assigned: Decimal
    service_ended_on: date | None
    advised_on: date
    assigned_on: date


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r", " ").replace("\n", " ").strip()


def write_referral_file(rows: list[ReferralRow]) -> str:
    """The file's text for ``rows`` (header, details, trailer)."""
    if not rows:
        raise FormatError("a referral file needs at least one account", field="rows")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    total = Decimal("0.00")
    for row in rows:
        if row.amount_assigned <= 0:
            raise FormatError(f"account {row.account_number}: the amount assigned must be positive",
                              field="amount_assigned")
        writer.writerow([DETAIL, *(_cell(getattr(row, f.name)) for f in fields(ReferralRow))])
        total += row.amount_assigned
    writer.writerow([TRAILER, str(len(rows)), f"{total:.2f}"])
    return out.getvalue()


def _date(text: str, line: int, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FormatError(f"{text!r} is not a date YYYY-MM-DD", line=line, field=name) from None


def _optional_date(text: str, line: int, name: str) -> date | None:
    return _date(text, line, name) if text else None


def read_referral_file(text: str) -> list[ReferralRow]:
    """Read a referral file back (the agency's side; tests use it for the round trip).
    A file without its header, with a bad line or a trailer that does not match is refused whole."""
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or tuple(lines[0]) != COLUMNS:
        raise FormatError("the first line must name the columns " + ",".join(COLUMNS), line=1, field="header")
    rows: list[ReferralRow] = []
    trailer = None
    for number, cells in enumerate(lines[1:], start=2):
        if trailer is not None:
            raise FormatError("nothing may follow the trailer", line=number, field="record_type")
        if cells and cells[0] == TRAILER:
            trailer = (number, cells)
            continue
        if len(cells) != len(COLUMNS) or cells[0] != DETAIL:
            raise FormatError(f"a detail line has {len(COLUMNS)} fields and starts with {DETAIL}", line=number,
                              field="record_type")
        values = dict(zip(COLUMNS, cells, strict=True))
        try:
            amount = Decimal(values["amount_assigned"])
        except InvalidOperation:
            raise FormatError(f"{values['amount_assigned']!r} is not an amount", line=number,
                              field="amount_assigned") from None
        rows.append(ReferralRow(
            utility_reference=values["utility_reference"], account_number=values["account_number"],
            debtor_name=values["debtor_name"], address_line1=values["address_line1"],
            address_line2=values["address_line2"], city=values["city"], state=values["state"], zip=values["zip"],
            phone=values["phone"], email=values["email"], amount_assigned=amount,
            service_ended_on=_optional_date(values["service_ended_on"], number, "service_ended_on"),
            advised_on=_date(values["advised_on"], number, "advised_on"),
            assigned_on=_date(values["assigned_on"], number, "assigned_on")))
    if trailer is None:
        raise FormatError("the trailer line T,<count>,<total> is missing: the file is incomplete",
                          line=len(lines) + 1, field="trailer")
    number, cells = trailer
    total = sum((r.amount_assigned for r in rows), Decimal("0.00"))
    if len(cells) != 3 or cells[1] != str(len(rows)) or cells[2] != f"{total:.2f}":
        raise FormatError(f"the trailer says {','.join(cells[1:])} but the file holds {len(rows)} lines "
                          f"totalling {total:.2f}", line=number, field="trailer")
    return rows
