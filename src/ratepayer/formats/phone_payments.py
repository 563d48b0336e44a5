"""Pay-by-phone (IVR / card processor) daily settlement CSV.

Layout in docs/formats.md, "Pay-by-phone settlement CSV": one row per approved card
transaction, a configurable column map (:class:`PhoneCsvLayout`), and a trailer row
``TRAILER,<number of transactions>,<total amount>`` that proves the file whole. Only
the processor reference, the card's last four digits and its brand are read — a value
that looks like a card number is an error. Pure Python: the payments app posts the
rows (``payments.actions.phone``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal

from ratepayer.formats.errors import ValidationReport
from ratepayer.formats.text import amount_refusal, decode_text, parse_amount, read_csv_rows

CARD_BRANDS = ("Visa", "Mastercard", "American Express", "Discover")
TRAILER = "TRAILER"
_CARD_NUMBER = re.compile(r"\d[\d -]{10,}\d")
BRAND_ALIASES = {"visa": "Visa", "vi": "Visa", "mastercard": "Mastercard", "mc": "Mastercard",
                 "master card": "Mastercard", "american express": "American Express", "amex": "American Express",
                 "ax": "American Express", "discover": "Discover", "disc": "Discover", "ds": "Discover"}


@dataclass(frozen=True)
class PhoneCsvLayout:
    """Column mapping of the processor's settlement CSV: header names, or
    0-based indexes when ``has_header`` is False. ``purpose`` is optional
    (blank or ``payment``; ``deposit`` for a security deposit)."""

    settlement_date: str | int = "settlement_date"
    reference: str | int = "transaction_id"
    account: str | int = "account"
    amount: str | int = "amount"
    card_brand: str | int = "card_brand"
    last4: str | int = "last4"
    payer_name: str | int | None = "payer_name"
    purpose: str | int | None = "purpose"
    date_format: str = "%Y-%m-%d"
    has_header: bool = True
    delimiter: str = ","

    @classmethod
    def from_mapping(cls, mapping: dict) -> PhoneCsvLayout:
        """The layout from a JSON column map; unknown keys raise ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(f"CSV column map: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**mapping)


@dataclass
class PhoneRow:
    line: int
    settlement_date: date
    reference: str
    account: str
    amount: Decimal
    card_brand: str
    last4: str
    payer_name: str
    purpose: str


def _looks_like_card_number(text: str) -> bool:
    """13 to 19 digits passing the Luhn check (a processor's numeric
    transaction id rarely does; a card number always does)."""
    for match in _CARD_NUMBER.finditer(text):
        digits = [int(c) for c in match.group(0) if c.isdigit()]
        if not 13 <= len(digits) <= 19:
            continue
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return True
    return False


def parse(content: bytes, layout: PhoneCsvLayout, *, name: str | None = None) -> tuple[list[PhoneRow], list[str]]:
    """Rows and problems (``line N: field: problem``); rows only count when there
    are no problems. A file without its trailer, or whose trailer's count or total
    differs from its rows, is incomplete."""
    report = ValidationReport(file=name)
    text = decode_text(content, report)
    reader = read_csv_rows(text, report, delimiter=layout.delimiter) if text is not None else None
    if reader is None:
        return [], report.lines()
    problems: list[str] = []
    columns: dict[str, int | None] = {}
    start = 0
    names = ("settlement_date", "reference", "account", "amount", "card_brand", "last4", "payer_name", "purpose")
    if layout.has_header:
        if not reader:
            return [], ["line 1: header: the file is empty"]
        header = [h.strip().lower() for h in reader[0]]
        start = 1
        for name in names:
            wanted = getattr(layout, name)
            if wanted is None:
                columns[name] = None
            elif isinstance(wanted, int):
                columns[name] = wanted
            elif wanted.strip().lower() in header:
                columns[name] = header.index(wanted.strip().lower())
            elif name in ("payer_name", "purpose"):
                columns[name] = None
            else:
                problems.append(f"line 1: header: no column {wanted!r} for {name.replace('_', ' ')}")
        if problems:
            return [], problems
    else:
        for name in names:
            wanted = getattr(layout, name)
            if wanted is not None and not isinstance(wanted, int):
                return [], [f"line 1: column map: {name} must be a column number when the file has no header"]
            columns[name] = wanted
    rows: list[PhoneRow] = []
    trailer: tuple[int, int | None, Decimal | None] | None = None  # line, count, total
    data_rows = 0
    total = Decimal("0.00")
    for number, raw in enumerate(reader[start:], start + 1):
        if not any(cell.strip() for cell in raw):
            continue
        if trailer is not None:
            problems.append(f"line {number}: file: data after the {TRAILER} line")
            continue
        if raw[0].strip().upper() == TRAILER:
            trailer = _trailer(raw, number, problems)
            continue
        data_rows += 1

        def cell(name: str, raw=raw) -> str:
            index = columns.get(name)
            return raw[index].strip() if index is not None and index < len(raw) else ""

        row_problems = []
        for name in ("payer_name", "card_brand", "last4", "purpose", "reference"):
            if _looks_like_card_number(cell(name)):
                row_problems.append(f"line {number}: {name.replace('_', ' ')}: looks like a full card number; "
                                    "the processor must send only the last four digits")
        try:
            day = datetime.strptime(cell("settlement_date"), layout.date_format).date()
        except ValueError:
            day = None
            row_problems.append(f"line {number}: settlement date: {cell('settlement_date')!r} is not a date "
                                f"({layout.date_format})")
        reference = cell("reference")
        if not reference:
            row_problems.append(f"line {number}: transaction id: missing")
        elif len(reference) > 100:
            row_problems.append(f"line {number}: transaction id: longer than 100 characters")
        account = cell("account").replace("-", "").replace(" ", "")
        if not account.isdigit():
            row_problems.append(f"line {number}: account: {cell('account')!r} is not an account number")
        amount = parse_amount(cell("amount"))
        if amount is None:
            row_problems.append(f"line {number}: amount: {amount_refusal(cell('amount'))}")
        else:
            total += amount
        if amount is not None and amount <= 0:
            row_problems.append(f"line {number}: amount: must be more than zero (refunds and voids are not "
                                "settlement rows)")
        brand = BRAND_ALIASES.get(cell("card_brand").lower(), "")
        if brand not in CARD_BRANDS:
            row_problems.append(f"line {number}: card brand: {cell('card_brand')!r} is not one of "
                                f"{', '.join(CARD_BRANDS)}")
        last4 = cell("last4")
        if not re.fullmatch(r"\d{4}", last4):
            row_problems.append(f"line {number}: last4: {last4!r} must be exactly the card's last four digits")
        purpose = cell("purpose").lower() or "payment"
        if purpose not in ("payment", "deposit"):
            row_problems.append(f"line {number}: purpose: {cell('purpose')!r} must be payment or deposit")
        if row_problems:
            problems += row_problems
            continue
        assert day is not None and amount is not None  # a row without them has problems, skipped above
        rows.append(PhoneRow(number, day, reference, account, amount, brand, last4, cell("payer_name")[:120],
                             purpose))
    if trailer is None:
        problems.append(f"line {len(reader)}: {TRAILER.lower()}: the file has no {TRAILER},<transactions>,<total> "
                        "line: it is incomplete (cut off?), so none of it was imported")
    elif trailer is not None:
        line, count, stated = trailer
        if count is not None and count != data_rows:
            problems.append(f"line {line}: {TRAILER.lower()}: says {count} transactions but the file has {data_rows}: "
                            "the file is incomplete")
        if stated is not None and stated != total and not problems:
            problems.append(f"line {line}: {TRAILER.lower()}: says a total of {stated} but the transactions add up "
                            f"to {total}: the file is incomplete or damaged")
    return rows, problems


def _trailer(raw: list[str], number: int, problems: list[str]) -> tuple[int, int | None, Decimal | None]:
    count_text = raw[1].strip() if len(raw) > 1 else ""
    total_text = raw[2].strip() if len(raw) > 2 else ""
    count = int(count_text) if count_text.isdigit() else None
    total = parse_amount(total_text)
    if count is None or total is None or any(c.strip() for c in raw[3:]):
        problems.append(f"line {number}: {TRAILER.lower()}: must be {TRAILER},<number of transactions>,<total "
                        "amount>")
    return number, count, total


