"""BAI2 bank statement (balance and transaction) reader.

Spec: BAI *Cash Management Balance Reporting Specifications Version 2* (now ANSI X9.121
"BTRS"), as summarised in reference/DOMAIN.md §C.2. Records: 01 file header, 02 group
header, 03 account identifier + summaries, 16 transaction detail, 88 continuation, 49
account trailer, 98 group trailer, 99 file trailer.

Why our own reader and not the PyPI ``bai2`` package (ministryofjustice/bai2 0.15.0),
as DESIGN §2 asks us to look for a library first: we ran that package against the shared
samples and the DOMAIN.md test vector. It reads the vector and the four ministryofjustice
samples, but it
* joins 88 continuations of an 03 record wrongly and fails on the BAI spec's own sample
  (moov-sample2: "Type code '190500000' is not supported yet"),
* cannot read several logical records on one physical line (moov-sample3:
  "invalid literal for int() with base 10: '2/   02'"),
* rejects moov-sample4 (newline-delimited 16 records with 88 continuations) with an
  integrity error on the account record count.
So this module is a reader of our own; the type-code catalog is data generated from that
package's Appendix A table (see :mod:`ratepayer.formats.bai2_type_codes`).

How records are found (tolerant of real bank files, strict about the totals):
* a physical line that starts with a record code (``01,`` ``02,`` ``03,`` ``16,`` ``88,``
  ``49,`` ``98,`` ``99,``) begins a logical record; a line that does not is the wrapped tail
  of the record before it (moov-sample3 line 19);
* a physical line may hold several logical records separated by ``/`` and blanks (a file
  sent as one stream without line breaks is split at every ``/`` followed by a record code);
* records end with ``/``, except that a 16 record's text is its *last* field, free-form,
  may contain commas and need not be terminated by ``/`` — 16 records are parsed
  positionally (type code, amount, funds type and its extra fields, bank reference,
  customer reference, then everything else is text) and never split blindly on commas;
* an 88 after a 16 continues its text; an 88 after any other record continues its fields.

Amounts have no decimal point; implied decimals follow the currency (USD/CAD/GBP 2,
JPY 0, …). Funds types 0/1/2/Z, S (+ immediate, one-day, two-or-more-day amounts),
V (+ value date and time), D (+ count and day/amount pairs) are decoded.

Checked, every problem named with line and field: record order; 49 account control total
(algebraic sum of all 03 summary amounts and 16 amounts) and record count (03 through 49,
88s included); 98 group control total, number of accounts and record count (02 through
98); 99 file control total, number of groups and record count (01 through 99). A file
that stops early (no 99) or whose totals disagree is rejected whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ratepayer.formats.bai2_type_codes import TYPE_CODES
from ratepayer.formats.errors import ValidationReport
from ratepayer.formats.text import decode_text

__all__ = ["TYPE_CODES", "classify", "parse", "read", "to_dict", "type_code", "validate"]

RECORD_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
FUNDS_TYPES = {
    "0": "immediate availability",
    "1": "one-day availability",
    "2": "two-or-more-day availability",
    "S": "distributed availability (immediate, one-day, two-or-more-day)",
    "V": "value dated",
    "D": "distributed availability (days and amounts)",
    "Z": "unknown availability",
    "": "unknown availability",
}
CURRENCY_DECIMALS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}

_RECORD_START = re.compile(r"^\s*(\d\d),")
_RECORD_SPLIT = re.compile(r"/\s+(?=(?:01|02|03|16|49|88|98|99),)")
# a file sent as one stream without line breaks: records follow '/' directly
_RECORD_SPLIT_STREAM = re.compile(r"/\s*(?=(?:01|02|03|16|49|88|98|99),)")


# --------------------------------------------------------------------------- type codes


@dataclass(frozen=True, slots=True)
class TypeCode:
    code: str
    transaction: str  # "credit", "debit", "misc" or "" (status)
    level: str  # "status", "summary", "detail"
    description: str


def type_code(code: str) -> TypeCode:
    """Catalog entry for a type code; codes outside the catalog are described by range."""
    entry = TYPE_CODES.get(code)
    if entry is not None:
        return TypeCode(code, *entry)
    if code.isdigit():
        n = int(code)
        if 1 <= n <= 99:
            return TypeCode(code, "", "status", "status (not in catalog)")
        if 100 <= n <= 399:
            return TypeCode(code, "credit", "detail", "credit (not in catalog)")
        if 400 <= n <= 699:
            return TypeCode(code, "debit", "detail", "debit (not in catalog)")
        if 700 <= n <= 799:
            return TypeCode(code, "misc", "detail", "loan (not in catalog)")
        if 900 <= n <= 999:
            return TypeCode(code, "misc", "detail", "bank-defined")
    return TypeCode(code, "", "", "unknown")


# How a utility CIS treats a detail (DOMAIN §C.2 and checklist item 8).
CLASSIFICATION = {
    "115": "lockbox_deposit",
    "116": "lockbox_item",
    "118": "lockbox_adjustment",
    "110": "lockbox_deposit_total",
    "142": "ach_credit",
    "143": "ach_credit",
    "145": "ach_credit",
    "165": "ach_settlement",
    "166": "ach_settlement",
    "168": "ach_return_settlement",
    "169": "ach_credit",
    "147": "card_deposit",
    "175": "deposit",
    "301": "deposit",
    "366": "deposit",
    "195": "wire_in",
    "191": "wire_in",
    "206": "book_transfer_in",
    "257": "returned_item",
    "555": "returned_item",
    "468": "returned_item",
    "415": "lockbox_debit",
    "451": "ach_debit",
    "455": "ach_debit",
    "466": "ach_debit",
    "469": "ach_debit",
    "475": "check_paid",
    "495": "wire_out",
    "698": "fee",
}
DEPOSIT_BATCH_KINDS = frozenset({"lockbox_deposit", "ach_settlement", "deposit", "wire_in"})
RETURNED_ITEM_KINDS = frozenset({"returned_item"})


def classify(code: str) -> str:
    """What a detail type code means to the CIS: 'lockbox_deposit' (115), 'ach_settlement'
    (165/166), 'deposit' (301), 'wire_in' (195), 'returned_item' (555/257/468), … and
    otherwise 'other_credit' / 'other_debit' / 'status' / 'other'."""
    kind = CLASSIFICATION.get(code)
    if kind:
        return kind
    tc = type_code(code)
    if tc.level == "status":
        return "status"
    if tc.transaction == "credit":
        return "other_credit"
    if tc.transaction == "debit":
        return "other_debit"
    return "other"


# --------------------------------------------------------------------------- model


@dataclass(slots=True)
class Funds:
    type: str = ""
    immediate: Decimal | None = None
    one_day: Decimal | None = None
    two_or_more_days: Decimal | None = None
    value_date: str = ""
    value_time: str = ""
    distributions: list[tuple[int, Decimal]] = field(default_factory=list)


@dataclass(slots=True)
class Summary:
    type_code: str
    amount: Decimal | None
    item_count: int | None
    funds: Funds

    @property
    def description(self) -> str:
        return type_code(self.type_code).description


@dataclass(slots=True)
class Transaction:
    line: int
    type_code: str
    amount: Decimal | None
    funds: Funds
    bank_reference: str
    customer_reference: str
    text: str

    @property
    def description(self) -> str:
        return type_code(self.type_code).description

    @property
    def kind(self) -> str:
        return classify(self.type_code)

    @property
    def is_credit(self) -> bool:
        return type_code(self.type_code).transaction == "credit"

    @property
    def is_debit(self) -> bool:
        return type_code(self.type_code).transaction == "debit"


@dataclass(slots=True)
class Account:
    line: int
    number: str
    currency: str
    summaries: list[Summary] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    control_total: Decimal | None = None
    record_count: int | None = None

    def summary(self, code: str) -> Summary | None:
        for s in self.summaries:
            if s.type_code == code:
                return s
        return None


@dataclass(slots=True)
class Group:
    line: int
    ultimate_receiver: str
    originator: str
    status: str
    as_of_date: str
    as_of_time: str
    currency: str
    as_of_date_modifier: str
    accounts: list[Account] = field(default_factory=list)
    control_total: Decimal | None = None
    number_of_accounts: int | None = None
    record_count: int | None = None


@dataclass(slots=True)
class Bai2File:
    sender: str
    receiver: str
    creation_date: str
    creation_time: str
    file_id: str
    physical_record_length: str
    block_size: str
    version: str
    groups: list[Group]
    control_total: Decimal | None
    number_of_groups: int | None
    record_count: int | None
    report: ValidationReport

    @property
    def accounts(self) -> list[Account]:
        return [a for g in self.groups for a in g.accounts]

    @property
    def transactions(self) -> list[Transaction]:
        return [t for a in self.accounts for t in a.transactions]

    def summary(self) -> str:
        n_tx = len(self.transactions)
        return (
            f"{len(self.groups)} group{'s' if len(self.groups) != 1 else ''}, "
            f"{len(self.accounts)} account{'s' if len(self.accounts) != 1 else ''}, "
            f"{n_tx} detail{'s' if n_tx != 1 else ''}, file control total {self.control_total}"
        )


# --------------------------------------------------------------------------- tokenizer


@dataclass(slots=True)
class _Record:
    code: str
    line: int
    body: str  # everything after "NN," (16: raw; others: '/' stripped)
    continuations: list[tuple[int, str]] = field(default_factory=list)

    @property
    def physical_count(self) -> int:
        return 1 + len(self.continuations)


MAX_RECORD_CHARS = 10_000  # a BAI2 record is a few hundred characters; text over 88s is continued


def _logical_records(text: str, report: ValidationReport) -> list[_Record]:
    records: list[_Record] = []
    physical = text.splitlines()
    splitter = _RECORD_SPLIT_STREAM if len([p for p in physical if p.strip()]) == 1 else _RECORD_SPLIT
    open_record = False  # the last physical line ended inside a record (no closing "/")
    for number, raw in enumerate(physical, start=1):
        if not raw.strip():
            continue
        if len(raw) > MAX_RECORD_CHARS and splitter is _RECORD_SPLIT:
            report.error(number, "record", f"the line is {len(raw):,} characters long (at most "
                                           f"{MAX_RECORD_CHARS:,}): the file is damaged")
            continue
        match = _RECORD_START.match(raw)
        if match is None or match.group(1) not in RECORD_CODES:
            if match is not None:
                report.error(number, "record code", f"{match.group(1)!r} is not a BAI2 record code")
                continue
            if not records:
                report.error(number, "record code", f"line does not begin with a record code: {raw[:20]!r}")
                continue
            if not open_record:
                # a record that ended with "/" has no tail: this line is not part of the statement
                report.error(number, "record code", f"line does not begin with a record code and the record "
                                                    f"before it is complete: {raw[:20]!r}")
                continue
            open_record = not raw.rstrip().endswith("/")
            # the wrapped tail of the record before (a physical line break inside a record)
            last = records[-1]
            if last.continuations:
                ln, body = last.continuations[-1]
                last.continuations[-1] = (ln, body + raw)
            else:
                last.body += raw
            continue
        open_record = not raw.rstrip().endswith("/")
        for piece in splitter.split(raw.strip()):
            if len(piece) > MAX_RECORD_CHARS:
                report.error(number, "record", f"a record of {len(piece):,} characters (at most "
                                               f"{MAX_RECORD_CHARS:,}): the file is damaged")
                break
            code, _, body = piece.partition(",")
            code = code.strip()
            if code == "88":
                if not records:
                    report.error(number, "record code", "continuation (88) with no record before it")
                    continue
                records[-1].continuations.append((number, body))
            else:
                records.append(_Record(code, number, body))
    return records


def _strip_slash(body: str) -> str:
    body = body.rstrip()
    return body[:-1] if body.endswith("/") else body


def _fields(rec: _Record) -> list[str]:
    fields = _strip_slash(rec.body).split(",")
    for _, cont in rec.continuations:
        fields.extend(_strip_slash(cont).split(","))
    return fields


def _pieces(rec: _Record) -> list[list[str]]:
    """The record's fields, one list per physical piece (the record, then each 88)."""
    return [_strip_slash(rec.body).split(",")] + [_strip_slash(c).split(",") for _, c in rec.continuations]


# --------------------------------------------------------------------------- parsing


class _Cursor:
    __slots__ = ("fields", "pos", "ends")

    def __init__(self, fields: list[str], pieces: list[list[str]] | None = None) -> None:
        self.fields = fields
        self.pos = 0
        self.ends: list[int] = []  # index where each piece ends
        if pieces is not None:
            self.fields = [f for piece in pieces for f in piece]
            total = 0
            for piece in pieces:
                total += len(piece)
                self.ends.append(total)

    def skip_empty_piece_tail(self) -> None:
        """At a field-group boundary: drop empty fields left at the end of a piece
        (a trailing ',' before '/'), so the next 88 starts aligned."""
        for end in self.ends:
            if self.pos < end:
                if all(not f.strip() for f in self.fields[self.pos : end]):
                    self.pos = end
                return

    def next(self) -> str:
        if self.pos >= len(self.fields):
            self.pos += 1
            return ""
        value = self.fields[self.pos].strip()
        self.pos += 1
        return value

    def more(self) -> bool:
        return self.pos < len(self.fields)


def _amount(
    value: str, places: int, line: int, name: str, report: ValidationReport
) -> tuple[Decimal | None, int]:
    """(Decimal amount, raw integer for control totals) from an implied-decimal field."""
    value = value.strip()
    if not value:
        return None, 0
    digits = value[1:] if value[0] in "+-" else value
    if not digits.isdigit():
        report.error(line, name, f"{value!r} is not an amount")
        return None, 0
    raw = int(value)
    return Decimal(raw).scaleb(-places), raw


def _funds(cursor: _Cursor, places: int, line: int, report: ValidationReport) -> Funds:
    """Funds type and its extra fields (S: three amounts, V: date and time, D: pairs)."""
    ftype = cursor.next().upper()
    funds = Funds(type=ftype)
    if ftype not in FUNDS_TYPES:
        report.error(line, "funds type", f"{ftype!r} is not a BAI2 funds type (0, 1, 2, S, V, D, Z)")
    elif ftype == "S":
        funds.immediate, _ = _amount(cursor.next(), places, line, "immediate availability amount", report)
        funds.one_day, _ = _amount(cursor.next(), places, line, "one-day availability amount", report)
        funds.two_or_more_days, _ = _amount(
            cursor.next(), places, line, "two-or-more-day availability amount", report
        )
    elif ftype == "V":
        funds.value_date = cursor.next()
        funds.value_time = cursor.next()
    elif ftype == "D":
        count_text = cursor.next()
        if not count_text.isdigit():
            report.error(line, "number of distributions", f"{count_text!r} is not a number")
        else:
            for _ in range(int(count_text)):
                days_text = cursor.next()
                amount, _raw = _amount(cursor.next(), places, line, "distribution amount", report)
                if not days_text.isdigit():
                    report.error(line, "distribution days", f"{days_text!r} is not a number")
                    continue
                funds.distributions.append((int(days_text), amount or Decimal(0)))
    return funds


def _int(value: str, line: int, name: str, report: ValidationReport) -> int | None:
    value = value.strip()
    if not value:
        report.error(line, name, "is blank")
        return None
    if not value.lstrip("+").isdigit():
        report.error(line, name, f"{value!r} is not a number")
        return None
    return int(value)


def _parse_03(rec: _Record, group_currency: str, report: ValidationReport) -> tuple[Account, int]:
    cursor = _Cursor([], _pieces(rec))
    number = cursor.next()
    currency = cursor.next() or group_currency or "USD"
    places = CURRENCY_DECIMALS.get(currency.upper(), 2)
    account = Account(line=rec.line, number=number, currency=currency)
    if not number:
        report.error(rec.line, "customer account number", "is blank")
    raw_total = 0
    while True:
        cursor.skip_empty_piece_tail()
        if not cursor.more():
            break
        code = cursor.next()
        amount_text = cursor.next()
        count_text = cursor.next()
        funds = _funds(cursor, places, rec.line, report)
        if not code:
            if amount_text or count_text:
                report.error(rec.line, "summary type code", "is blank but an amount follows")
            continue
        if not code.isdigit() or len(code) != 3:
            report.error(rec.line, "summary type code", f"{code!r} is not a 3-digit type code")
            continue
        amount, raw = _amount(amount_text, places, rec.line, f"amount of summary {code}", report)
        raw_total += raw
        item_count = None
        if count_text:
            if count_text.isdigit():
                item_count = int(count_text)
            else:
                report.error(rec.line, f"item count of summary {code}", f"{count_text!r} is not a number")
        account.summaries.append(Summary(code, amount, item_count, funds))
    return account, raw_total


def _parse_16(rec: _Record, places: int, report: ValidationReport) -> tuple[Transaction, int]:
    body = _strip_slash(rec.body)
    # type code, amount, funds type: take fields one by one from the front; text is the rest
    parts = body.split(",", 2)
    while len(parts) < 3:
        parts.append("")
    code, amount_text, rest = parts[0].strip(), parts[1], parts[2]
    ftype, _, rest = rest.partition(",")
    extra_fields = {"S": 3, "V": 2}.get(ftype.strip().upper(), 0)
    extras: list[str] = []
    if ftype.strip().upper() == "D":
        count_text, _, rest = rest.partition(",")
        extras.append(count_text)
        extra_fields = 2 * int(count_text) if count_text.strip().isdigit() else 0
    for _ in range(extra_fields):
        value, _, rest = rest.partition(",")
        extras.append(value)
    cursor = _Cursor([ftype, *extras])
    funds = _funds(cursor, places, rec.line, report)
    bank_ref, sep1, rest = rest.partition(",")
    customer_ref, sep2, text = rest.partition(",")
    if not code.isdigit() or len(code) != 3:
        report.error(rec.line, "type code", f"{code!r} is not a 3-digit type code")
    elif 1 <= int(code) <= 99:
        report.error(rec.line, "type code", f"{code} is a status code, not a transaction")
    amount, raw = _amount(amount_text, places, rec.line, "amount", report)
    if amount_text.strip()[:1] in ("+", "-"):
        report.warning(rec.line, "amount", "transaction amounts are unsigned; sign ignored for the text")
    lines = [text.rstrip()] if text.strip() else []
    for _, cont in rec.continuations:
        cont = _strip_slash(cont).rstrip()
        if cont.strip():
            lines.append(cont)
    return (
        Transaction(
            line=rec.line,
            type_code=code,
            amount=amount,
            funds=funds,
            bank_reference=bank_ref.strip(),
            customer_reference=customer_ref.strip(),
            text="\n".join(lines),
        ),
        raw,
    )


def parse(source: str | bytes | Path, *, check_totals: bool = True, file_name: str | None = None) -> Bai2File:
    """Parse and check a BAI2 file; problems are in ``result.report`` (never raises for content).

    ``check_totals=False`` reports control-total, record-count, account-count and
    group-count disagreements as warnings instead of errors — for looking at a bank's
    malformed file, never for posting from it.
    """
    if isinstance(source, str):
        text, name = source, None
        report = ValidationReport(file=file_name)
    else:
        name = str(source) if isinstance(source, Path) else None
        report = ValidationReport(file=file_name or name)
        decoded = decode_text(source.read_bytes() if isinstance(source, Path) else source, report, max_line=0)
        if decoded is None:
            return Bai2File("", "", "", "", "", "", "", "", [], None, None, None, report)
        text = decoded
    mismatch = report.error if check_totals else report.warning
    records = _logical_records(text, report)
    result = Bai2File("", "", "", "", "", "", "", "", [], None, None, None, report)
    group: Group | None = None
    account: Account | None = None
    account_raw = 0
    account_records = 0
    group_raw = 0
    group_records = 0
    file_raw = 0
    file_records = 0
    header_seen = False
    trailer_seen = False
    for rec in records:
        n = rec.physical_count
        if trailer_seen:
            report.error(rec.line, "record code", f"record {rec.code} after the file trailer (99)")
            continue
        file_records += n
        if group is not None:
            group_records += n
        if account is not None:
            account_records += n
        code = rec.code
        if code == "01":
            if header_seen:
                report.error(rec.line, "record code", "second file header (01)")
                continue
            if records[0] is not rec:
                report.error(rec.line, "record code", "file header (01) is not the first record")
            header_seen = True
            f = _Cursor(_fields(rec))
            (
                result.sender,
                result.receiver,
                result.creation_date,
                result.creation_time,
                result.file_id,
                result.physical_record_length,
                result.block_size,
                result.version,
            ) = (f.next() for _ in range(8))
            if result.version != "2":
                report.error(rec.line, "version number", f"{result.version!r} must be 2 (BAI2)")
            if not (len(result.creation_date) == 6 and result.creation_date.isdigit()):
                report.error(rec.line, "file creation date", f"{result.creation_date!r} is not YYMMDD")
        elif not header_seen:
            report.error(rec.line, "record code", f"record {code} before the file header (01)")
            header_seen = True  # report once
            if code != "02":
                continue
        if code == "02":
            if group is not None:
                report.error(
                    rec.line,
                    "record code",
                    f"group header inside the group begun on line {group.line} (98 missing)",
                )
            f = _Cursor(_fields(rec))
            group = Group(
                rec.line,
                ultimate_receiver=f.next(),
                originator=f.next(),
                status=f.next(),
                as_of_date=f.next(),
                as_of_time=f.next(),
                currency=f.next(),
                as_of_date_modifier=f.next(),
            )
            if group.status not in ("1", "2", "3", "4"):
                report.error(rec.line, "group status", f"{group.status!r} must be 1, 2, 3 or 4")
            if not (len(group.as_of_date) == 6 and group.as_of_date.isdigit()):
                report.error(rec.line, "as-of-date", f"{group.as_of_date!r} is not YYMMDD")
            result.groups.append(group)
            group_raw = 0
            group_records = n
            account = None
        elif code == "03":
            if group is None:
                report.error(rec.line, "record code", "account identifier (03) outside a group")
                continue
            if account is not None:
                report.error(
                    rec.line,
                    "record code",
                    f"account identifier inside the account begun on line {account.line} (49 missing)",
                )
            account, account_raw = _parse_03(rec, group.currency, report)
            account_records = n
            group.accounts.append(account)
        elif code == "16":
            if account is None:
                report.error(rec.line, "record code", "transaction detail (16) outside an account")
                continue
            places = CURRENCY_DECIMALS.get(account.currency.upper(), 2)
            tx, raw = _parse_16(rec, places, report)
            account.transactions.append(tx)
            account_raw += raw
        elif code == "49":
            if account is None:
                report.error(rec.line, "record code", "account trailer (49) without an account identifier")
                continue
            f = _Cursor(_fields(rec))
            total_text = f.next()
            count = _int(f.next(), rec.line, "number of records", report)
            places = CURRENCY_DECIMALS.get(account.currency.upper(), 2)
            account.control_total, raw_total = _amount(
                total_text, places, rec.line, "account control total", report
            )
            account.record_count = count
            if total_text.strip() and raw_total != account_raw:
                mismatch(
                    rec.line,
                    "account control total",
                    f"says {total_text.strip()}, the account's amounts sum to {account_raw}",
                )
            if count is not None and count != account_records:
                mismatch(
                    rec.line,
                    "number of records",
                    f"says {count}, account has {account_records} records (03 through 49)",
                )
            assert group is not None
            group_raw += raw_total if total_text.strip() else account_raw
            account = None
        elif code == "98":
            if group is None:
                report.error(rec.line, "record code", "group trailer (98) without a group header")
                continue
            if account is not None:
                report.error(
                    rec.line,
                    "record code",
                    f"group trailer inside the account begun on line {account.line} (49 missing)",
                )
                account = None
            f = _Cursor(_fields(rec))
            total_text = f.next()
            group.control_total, raw_total = _amount(total_text, 2, rec.line, "group control total", report)
            group.number_of_accounts = _int(f.next(), rec.line, "number of accounts", report)
            group.record_count = _int(f.next(), rec.line, "number of records", report)
            if total_text.strip() and raw_total != group_raw:
                mismatch(
                    rec.line,
                    "group control total",
                    f"says {total_text.strip()}, the accounts sum to {group_raw}",
                )
            if group.number_of_accounts is not None and group.number_of_accounts != len(group.accounts):
                mismatch(
                    rec.line,
                    "number of accounts",
                    f"says {group.number_of_accounts}, group has {len(group.accounts)}",
                )
            if group.record_count is not None and group.record_count != group_records:
                mismatch(
                    rec.line,
                    "number of records",
                    f"says {group.record_count}, group has {group_records} records (02 through 98)",
                )
            file_raw += raw_total if total_text.strip() else group_raw
            group = None
        elif code == "99":
            if group is not None:
                report.error(
                    rec.line,
                    "record code",
                    f"file trailer inside the group begun on line {group.line} (98 missing)",
                )
                group = None
            f = _Cursor(_fields(rec))
            total_text = f.next()
            result.control_total, raw_total = _amount(total_text, 2, rec.line, "file control total", report)
            result.number_of_groups = _int(f.next(), rec.line, "number of groups", report)
            result.record_count = _int(f.next(), rec.line, "number of records", report)
            if total_text.strip() and raw_total != file_raw:
                mismatch(
                    rec.line, "file control total", f"says {total_text.strip()}, the groups sum to {file_raw}"
                )
            if result.number_of_groups is not None and result.number_of_groups != len(result.groups):
                mismatch(
                    rec.line,
                    "number of groups",
                    f"says {result.number_of_groups}, file has {len(result.groups)}",
                )
            if result.record_count is not None and result.record_count != file_records:
                mismatch(
                    rec.line,
                    "number of records",
                    f"says {result.record_count}, file has {file_records} records (01 through 99)",
                )
            trailer_seen = True
    last_line = records[-1].line if records else 1
    if not records:
        report.error(1, "file", "is empty (no BAI2 records)")
    elif not trailer_seen:
        if account is not None:
            report.error(
                last_line, "account trailer (49)", f"missing for the account begun on line {account.line}"
            )
        if group is not None:
            report.error(last_line, "group trailer (98)", f"missing for the group begun on line {group.line}")
        report.error(last_line, "file trailer (99)", "missing: the file is truncated")
    report.problems.sort(key=lambda p: p.line or 0)
    return result


def validate(source: str | bytes | Path, *, check_totals: bool = True) -> ValidationReport:
    return parse(source, check_totals=check_totals).report


def read(source: str | bytes | Path, *, check_totals: bool = True) -> Bai2File:
    """Parse a BAI2 file and return it only if every check passes; else raise ReportError."""
    result = parse(source, check_totals=check_totals)
    result.report.raise_if_errors()
    return result


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _funds_dict(f: Funds) -> dict[str, Any]:
    data: dict[str, Any] = {"type": f.type}
    if f.type == "S":
        data.update(
            immediate=_dec(f.immediate), one_day=_dec(f.one_day), two_or_more_days=_dec(f.two_or_more_days)
        )
    elif f.type == "V":
        data.update(value_date=f.value_date, value_time=f.value_time)
    elif f.type == "D":
        data["distributions"] = [{"days": d, "amount": str(a)} for d, a in f.distributions]
    return data


def to_dict(result: Bai2File) -> dict[str, Any]:
    """JSON-ready view for ``ratepayer bai2 show --format json`` (amounts as strings)."""
    return {
        "valid": result.report.ok,
        "sender": result.sender,
        "receiver": result.receiver,
        "creation_date": result.creation_date,
        "creation_time": result.creation_time,
        "file_id": result.file_id,
        "groups": [
            {
                "line": g.line,
                "ultimate_receiver": g.ultimate_receiver,
                "originator": g.originator,
                "status": g.status,
                "as_of_date": g.as_of_date,
                "as_of_time": g.as_of_time,
                "currency": g.currency,
                "accounts": [
                    {
                        "line": a.line,
                        "number": a.number,
                        "currency": a.currency,
                        "summaries": [
                            {
                                "type_code": s.type_code,
                                "description": s.description,
                                "amount": _dec(s.amount),
                                "item_count": s.item_count,
                                "funds": _funds_dict(s.funds),
                            }
                            for s in a.summaries
                        ],
                        "transactions": [
                            {
                                "line": t.line,
                                "type_code": t.type_code,
                                "description": t.description,
                                "kind": t.kind,
                                "amount": _dec(t.amount),
                                "funds": _funds_dict(t.funds),
                                "bank_reference": t.bank_reference,
                                "customer_reference": t.customer_reference,
                                "text": t.text,
                            }
                            for t in a.transactions
                        ],
                        "control_total": _dec(a.control_total),
                        "record_count": a.record_count,
                    }
                    for a in g.accounts
                ],
                "control_total": _dec(g.control_total),
                "number_of_accounts": g.number_of_accounts,
                "record_count": g.record_count,
            }
            for g in result.groups
        ],
        "control_total": _dec(result.control_total),
        "number_of_groups": result.number_of_groups,
        "record_count": result.record_count,
        "problems": [
            {"severity": p.severity, "line": p.line, "field": p.field, "message": p.message}
            for p in result.report
        ],
    }
