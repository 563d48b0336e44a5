"""NACHA ACH files: reader, validator and writer.

Spec: the Nacha Operating Rules record formats (Appendix Three), as summarised in
reference/DOMAIN.md §C.1: 94-character fixed records, blocking factor 10.

    1 File Header   5 Batch Header   6 Entry Detail   7 Addenda (05 / 98 NOC / 99 return,
    10-18 IAT)      8 Batch Control  9 File Control   9999… block padding

What the validator checks, collecting *every* problem as ``line N: field: what is wrong``
(1-based physical line; in a file without line breaks, the 94-character record number):

* record length (short, right-trimmed records are padded with blanks and reported as a
  warning; trailing blanks beyond 94 likewise; anything else beyond 94 is an error),
  record order (file header first, batches 5…6/7…8, file control, then only padding),
  characters (printable ASCII);
* numeric fields are numeric; dates are real dates; ABA check digit of every RDFI
  (``kernel.checkdigits``); transaction codes; SEC codes; service class 200/220/225 and
  that the entries agree with it; prenotes carry zero dollars;
* addenda indicator agrees with the addenda that follow; addenda 05 sequence numbers and
  entry-detail sequence numbers; return reason codes (addenda 99) and change codes
  (addenda 98) are real codes (custom return codes only when allowed);
* batch control: service class, entry/addenda count (entries *and* addenda), entry hash
  (Σ 8-digit RDFI ids, rightmost 10 digits), debit and credit totals, company id, ODFI,
  batch number; file control: batch count, block count, entry/addenda count, entry hash,
  totals; padding to a multiple of 10 records (a missing padding is a warning).

IAT batches (international) are recognised: batch header and entry detail are read with
their IAT layouts, the IAT addenda 10-18 are kept as raw text and reported as a warning
("kept as raw text, not parsed"), never a crash.

The writer (:func:`write_file`) produces PPD/CCD/WEB debit, credit and prenote files by
string building, fast enough for 100,000 entries; it reproduces DOMAIN.md "Test vector 2"
byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ratepayer.formats.errors import ValidationReport
from ratepayer.kernel.checkdigits import aba_check_digit, is_valid_aba
from ratepayer.kernel.money import from_cents, to_cents

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
PADDING_RECORD = "9" * RECORD_LENGTH

CREDIT_CODES = frozenset({21, 22, 23, 24, 31, 32, 33, 34, 41, 42, 43, 44, 51, 52, 53, 54})
DEBIT_CODES = frozenset({26, 27, 28, 29, 36, 37, 38, 39, 46, 47, 48, 49, 55, 56})
TRANSACTION_CODES = CREDIT_CODES | DEBIT_CODES
PRENOTE_CODES = frozenset({23, 28, 33, 38, 43, 48, 53})
RETURN_NOC_CODES = frozenset({21, 26, 31, 36, 41, 46, 51, 56})

SEC_CODES = frozenset(
    {
        "ACK", "ADV", "ARC", "ATX", "BOC", "CCD", "CIE", "COR", "CTX", "DNE", "ENR", "IAT",
        "MTE", "POP", "POS", "PPD", "RCK", "SHR", "TEL", "TRC", "TRX", "WEB", "XCK",
    }
)  # fmt: skip
SERVICE_CLASS_CODES = {
    200: "mixed",
    220: "credits only",
    225: "debits only",
    280: "automated accounting advices",
}

RETURN_REASON_CODES = frozenset(
    [f"R{n:02d}" for n in range(1, 54) if n not in (48, 49)]
    + ["R61", "R62", "R67", "R68", "R69", "R70"]
    + [f"R{n}" for n in range(71, 78)]
    + [f"R{n}" for n in range(80, 86)]
)
CHANGE_CODES = frozenset(
    [f"C{n:02d}" for n in range(1, 10)] + ["C13", "C14"] + [f"C{n}" for n in range(61, 70)]
)
DISHONORED_RETURN_CODES = frozenset({"R61", "R62", "R67", "R68", "R69", "R70"})
CONTESTED_RETURN_CODES = frozenset(f"R{n}" for n in range(71, 78))

_ZERO = Decimal("0.00")


# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class FileHeader:
    line: int
    priority_code: str
    immediate_destination: str
    immediate_origin: str
    file_creation_date: str
    file_creation_time: str
    file_id_modifier: str
    record_size: str
    blocking_factor: str
    format_code: str
    immediate_destination_name: str
    immediate_origin_name: str
    reference_code: str


@dataclass(slots=True)
class BatchHeader:
    line: int
    service_class_code: int | None
    company_name: str
    company_discretionary_data: str
    company_identification: str
    sec_code: str
    company_entry_description: str
    company_descriptive_date: str
    effective_entry_date: str
    settlement_date: str
    originator_status_code: str
    odfi_identification: str
    batch_number: int | None
    iat: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Addenda:
    """An addenda record. ``type_code`` '05', '98' (NOC), '99' (return), '10'…'18' (IAT)."""

    line: int
    type_code: str
    raw: str
    payment_related_information: str = ""
    sequence_number: int | None = None
    entry_detail_sequence_number: str = ""
    return_reason_code: str = ""
    change_code: str = ""
    original_trace: str = ""
    date_of_death: str = ""
    original_rdfi: str = ""
    addenda_information: str = ""
    corrected_data: str = ""
    trace_number: str = ""


@dataclass(slots=True)
class EntryDetail:
    line: int
    transaction_code: int | None
    rdfi_identification: str
    check_digit: str
    dfi_account_number: str
    amount_cents: int
    individual_identification: str
    individual_name: str
    discretionary_data: str
    addenda_indicator: str
    trace_number: str
    addenda: list[Addenda] = field(default_factory=list)
    iat: dict[str, str] = field(default_factory=dict)

    @property
    def routing(self) -> str:
        return self.rdfi_identification + self.check_digit

    @property
    def amount(self) -> Decimal:
        return from_cents(self.amount_cents)

    @property
    def is_debit(self) -> bool:
        return self.transaction_code in DEBIT_CODES

    @property
    def is_credit(self) -> bool:
        return self.transaction_code in CREDIT_CODES

    @property
    def is_prenote(self) -> bool:
        return self.transaction_code in PRENOTE_CODES

    @property
    def return_addenda(self) -> Addenda | None:
        """The first return addenda (99) — for dishonored/contested chains the original."""
        for a in self.addenda:
            if a.type_code == "99":
                return a
        return None

    @property
    def noc_addenda(self) -> Addenda | None:
        for a in self.addenda:
            if a.type_code == "98":
                return a
        return None

    @property
    def return_code(self) -> str:
        """The latest return reason code in the chain (R71 for R07→R68→R71), or ''."""
        codes = [a.return_reason_code for a in self.addenda if a.type_code == "99"]
        return codes[-1] if codes else ""


@dataclass(slots=True)
class BatchControl:
    line: int
    service_class_code: int | None
    entry_addenda_count: int | None
    entry_hash: int | None
    total_debit_cents: int | None
    total_credit_cents: int | None
    company_identification: str
    message_authentication_code: str
    odfi_identification: str
    batch_number: int | None


@dataclass(slots=True)
class FileControl:
    line: int
    batch_count: int | None
    block_count: int | None
    entry_addenda_count: int | None
    entry_hash: int | None
    total_debit_cents: int | None
    total_credit_cents: int | None


@dataclass(slots=True)
class Batch:
    header: BatchHeader
    entries: list[EntryDetail] = field(default_factory=list)
    control: BatchControl | None = None

    @property
    def sec_code(self) -> str:
        return self.header.sec_code

    @property
    def entry_addenda_count(self) -> int:
        return sum(1 + len(e.addenda) for e in self.entries)

    @property
    def entry_hash(self) -> int:
        return _entry_hash(self.entries)

    @property
    def total_debit_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries if e.transaction_code in DEBIT_CODES)

    @property
    def total_credit_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries if e.transaction_code in CREDIT_CODES)


@dataclass(slots=True)
class AchFile:
    header: FileHeader | None
    batches: list[Batch]
    control: FileControl | None
    record_count: int
    padding_count: int
    report: ValidationReport

    @property
    def entries(self) -> list[EntryDetail]:
        return [e for b in self.batches for e in b.entries]

    @property
    def total_debit(self) -> Decimal:
        return from_cents(sum(b.total_debit_cents for b in self.batches))

    @property
    def total_credit(self) -> Decimal:
        return from_cents(sum(b.total_credit_cents for b in self.batches))

    @property
    def entry_addenda_count(self) -> int:
        return sum(b.entry_addenda_count for b in self.batches)

    @property
    def entry_hash(self) -> int:
        return sum(b.entry_hash for b in self.batches) % 10**10

    def summary(self) -> str:
        secs = sorted({b.sec_code for b in self.batches})
        n_entries = len(self.entries)
        returns = sum(1 for e in self.entries if e.return_addenda is not None)
        nocs = sum(1 for e in self.entries if e.noc_addenda is not None)
        parts = [
            f"{len(self.batches)} batch{'es' if len(self.batches) != 1 else ''} ({', '.join(secs) or 'none'})",
            f"{n_entries} entr{'ies' if n_entries != 1 else 'y'}",
            f"debits ${self.total_debit:,.2f}",
            f"credits ${self.total_credit:,.2f}",
        ]
        if returns:
            parts.append(f"{returns} return{'s' if returns != 1 else ''}")
        if nocs:
            parts.append(f"{nocs} NOC{'s' if nocs != 1 else ''}")
        return ", ".join(parts)


def _entry_hash(entries: Iterable[EntryDetail]) -> int:
    total = 0
    for e in entries:
        if e.rdfi_identification.isdigit():
            total += int(e.rdfi_identification)
    return total % 10**10


# --------------------------------------------------------------------------- reading


def _load(source: str | bytes | Path) -> tuple[str, str | None]:
    if isinstance(source, Path):
        return source.read_bytes().decode("latin-1"), str(source)
    if isinstance(source, bytes):
        return source.decode("latin-1"), None
    return source, None


def _split_records(text: str, report: ValidationReport) -> list[tuple[int, str]]:
    """Physical records as (line number, 94-character text)."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) == 1 and len(lines[0]) > RECORD_LENGTH:
        # A fixed-length stream without line breaks: records are counted as lines.
        stream = lines[0]
        if len(stream) % RECORD_LENGTH:
            report.error(
                1,
                "record length",
                f"file without line breaks is {len(stream)} characters, not a multiple of 94 "
                f"({len(stream) % RECORD_LENGTH} character(s) too many)",
            )
            return []
        return [
            (i + 1, stream[i * RECORD_LENGTH : (i + 1) * RECORD_LENGTH])
            for i in range(len(stream) // RECORD_LENGTH)
        ]
    records: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            report.warning(number, "record", "blank line ignored")
            continue
        length = len(raw)
        if length > RECORD_LENGTH:
            if raw[RECORD_LENGTH:].strip():
                report.error(number, "record length", f"record is {length} characters, must be 94")
            else:
                report.warning(
                    number,
                    "record length",
                    f"record is {length} characters; trailing blanks beyond 94 ignored",
                )
            raw = raw[:RECORD_LENGTH]
        elif length < RECORD_LENGTH:
            report.warning(
                number, "record length", f"record is {length} characters; padded with blanks to 94"
            )
            raw = raw.ljust(RECORD_LENGTH)
        bad = [c for c in raw if not (" " <= c <= "~")]
        if bad:
            report.error(number, "characters", f"non-printable or non-ASCII character {bad[0]!r}")
        records.append((number, raw))
    return records


class _Fields:
    """Field access on one record with 1-based inclusive positions, reporting problems."""

    __slots__ = ("rec", "line", "report")

    def __init__(self, rec: str, line: int, report: ValidationReport) -> None:
        self.rec = rec
        self.line = line
        self.report = report

    def alpha(self, start: int, end: int) -> str:
        return self.rec[start - 1 : end]

    def text(self, start: int, end: int) -> str:
        return self.rec[start - 1 : end].strip()

    def number(self, start: int, end: int, name: str, *, blank_ok: bool = False) -> int | None:
        value = self.rec[start - 1 : end]
        if value.isdigit():
            return int(value)
        if blank_ok and not value.strip():
            return None
        self.report.error(self.line, name, f"{value!r} is not numeric")
        return None

    def digits(self, start: int, end: int, name: str, *, blank_ok: bool = False) -> str:
        value = self.rec[start - 1 : end]
        if not value.isdigit() and not (blank_ok and not value.strip()):
            self.report.error(self.line, name, f"{value!r} is not numeric")
        return value

    def yymmdd(
        self, start: int, end: int, name: str, *, blank_ok: bool = False, zero_ok: bool = False
    ) -> str:
        value = self.rec[start - 1 : end]
        if blank_ok and not value.strip():
            return value
        if zero_ok and value == "000000":
            return value
        if not _valid_yymmdd(value):
            self.report.error(self.line, name, f"{value!r} is not a date (YYMMDD)")
        return value


def _valid_yymmdd(value: str) -> bool:
    if len(value) != 6 or not value.isdigit():
        return False
    try:
        date(2000 + int(value[:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return False
    return True


def _parse_file_header(f: _Fields) -> FileHeader:
    r = f.report
    if f.alpha(2, 3) != "01":
        r.error(f.line, "priority code", f"{f.alpha(2, 3)!r} must be '01'")
    dest = f.alpha(4, 13)
    dest_digits = dest.strip()
    if not (dest_digits.isdigit() and len(dest_digits) in (9, 10)):
        r.error(f.line, "immediate destination", f"{dest!r} must be a blank and a 9-digit routing number")
    elif len(dest_digits) == 9 and not is_valid_aba(dest_digits):
        r.error(f.line, "immediate destination", f"routing number {dest_digits} fails the ABA check digit")
    origin = f.alpha(14, 23)
    origin_digits = origin.strip()
    if not (origin_digits.isdigit() and len(origin_digits) in (9, 10)):
        r.error(f.line, "immediate origin", f"{origin!r} must be 10 digits or a blank and 9 digits")
    f.yymmdd(24, 29, "file creation date")
    time = f.alpha(30, 33)
    if time.strip() and not (time.isdigit() and int(time[:2]) < 24 and int(time[2:]) < 60):
        r.error(f.line, "file creation time", f"{time!r} is not a time (HHMM)")
    modifier = f.alpha(34, 34)
    if not (modifier.isdigit() or "A" <= modifier <= "Z"):
        r.error(f.line, "file id modifier", f"{modifier!r} must be A-Z or 0-9")
    if f.alpha(35, 37) != "094":
        r.error(f.line, "record size", f"{f.alpha(35, 37)!r} must be '094'")
    if f.alpha(38, 39) != "10":
        r.error(f.line, "blocking factor", f"{f.alpha(38, 39)!r} must be '10'")
    if f.alpha(40, 40) != "1":
        r.error(f.line, "format code", f"{f.alpha(40, 40)!r} must be '1'")
    return FileHeader(
        line=f.line,
        priority_code=f.alpha(2, 3),
        immediate_destination=dest_digits,
        immediate_origin=origin_digits,
        file_creation_date=f.alpha(24, 29),
        file_creation_time=time,
        file_id_modifier=modifier,
        record_size=f.alpha(35, 37),
        blocking_factor=f.alpha(38, 39),
        format_code=f.alpha(40, 40),
        immediate_destination_name=f.text(41, 63),
        immediate_origin_name=f.text(64, 86),
        reference_code=f.text(87, 94),
    )


def _parse_batch_header(f: _Fields) -> BatchHeader:
    r = f.report
    svc = f.number(2, 4, "service class code")
    if svc is not None and svc not in SERVICE_CLASS_CODES:
        r.error(f.line, "service class code", f"{svc} is not a service class code (200, 220, 225, 280)")
    sec = f.alpha(51, 53)
    if sec not in SEC_CODES:
        r.error(f.line, "SEC code", f"{sec!r} is not a NACHA standard entry class code")
    iat: dict[str, str] = {}
    if sec == "IAT":
        iat = {
            "iat_indicator": f.text(5, 20),
            "foreign_exchange_indicator": f.alpha(21, 22),
            "foreign_exchange_reference_indicator": f.alpha(23, 23),
            "foreign_exchange_reference": f.text(24, 38),
            "iso_destination_country_code": f.alpha(39, 40),
            "originator_identification": f.text(41, 50),
            "iso_originating_currency_code": f.alpha(64, 66),
            "iso_destination_currency_code": f.alpha(67, 69),
        }
        company_name = ""
        discretionary = ""
        description = f.text(54, 63)
        descriptive_date = ""
    else:
        company_name = f.text(5, 20)
        discretionary = f.text(21, 40)
        description = f.text(54, 63)
        descriptive_date = f.alpha(64, 69)
        if not company_name:
            r.error(f.line, "company name", "is blank")
    if not description:
        r.error(f.line, "company entry description", "is blank")
    effective = f.yymmdd(70, 75, "effective entry date", blank_ok=True, zero_ok=True)
    settlement = f.alpha(76, 78)
    if settlement.strip() and not settlement.isdigit():
        r.error(f.line, "settlement date", f"{settlement!r} must be a Julian day or blank")
    status = f.alpha(79, 79)
    if status not in ("0", "1", "2"):
        r.error(f.line, "originator status code", f"{status!r} must be 0, 1 or 2")
    odfi = f.digits(80, 87, "originating DFI identification")
    batch_number = f.number(88, 94, "batch number")
    return BatchHeader(
        line=f.line,
        service_class_code=svc,
        company_name=company_name,
        company_discretionary_data=discretionary,
        company_identification=f.text(41, 50),
        sec_code=sec,
        company_entry_description=description,
        company_descriptive_date=descriptive_date,
        effective_entry_date=effective,
        settlement_date=settlement,
        originator_status_code=status,
        odfi_identification=odfi,
        batch_number=batch_number,
        iat=iat,
    )


def _parse_entry(f: _Fields, header: BatchHeader) -> EntryDetail:
    r = f.report
    code = f.number(2, 3, "transaction code")
    if code is not None and code not in TRANSACTION_CODES:
        r.error(f.line, "transaction code", f"{code:02d} is not a NACHA transaction code")
        code = None
    rdfi = f.digits(4, 11, "receiving DFI identification")
    check = f.alpha(12, 12)
    if rdfi.isdigit():
        if not check.isdigit():
            r.error(f.line, "check digit", f"{check!r} is not a digit")
        else:
            expected = aba_check_digit(rdfi)
            if int(check) != expected:
                r.error(
                    f.line,
                    "check digit",
                    f"routing {rdfi}{check} fails the ABA check: {rdfi} needs check digit {expected}",
                )
    amount = f.number(30, 39, "amount")
    indicator = f.alpha(79, 79)
    if indicator not in ("0", "1"):
        r.error(f.line, "addenda record indicator", f"{indicator!r} must be 0 or 1")
    trace = f.digits(80, 94, "trace number")
    iat: dict[str, str] = {}
    if header.sec_code == "IAT":
        iat = {
            "number_of_addenda_records": f.alpha(13, 16),
            "foreign_receiver_account_number": f.text(40, 74),
            "gateway_ofac_screening_indicator": f.alpha(77, 77),
            "secondary_ofac_screening_indicator": f.alpha(78, 78),
        }
        if not iat["number_of_addenda_records"].isdigit():
            r.error(
                f.line, "number of addenda records", f"{iat['number_of_addenda_records']!r} is not numeric"
            )
        account, ident, name, disc = iat["foreign_receiver_account_number"], "", "", ""
    else:
        account = f.text(13, 29)
        ident = f.text(40, 54)
        name = f.text(55, 76)
        disc = f.alpha(77, 78)
        if not account:
            r.error(f.line, "DFI account number", "is blank")
    if code in PRENOTE_CODES and amount:
        r.error(f.line, "amount", f"prenote (transaction code {code}) must be zero, is {from_cents(amount)}")
    return EntryDetail(
        line=f.line,
        transaction_code=code,
        rdfi_identification=rdfi,
        check_digit=check,
        dfi_account_number=account,
        amount_cents=amount or 0,
        individual_identification=ident,
        individual_name=name,
        discretionary_data=disc,
        addenda_indicator=indicator,
        trace_number=trace,
        iat=iat,
    )


def _parse_addenda(f: _Fields, allow_custom_return_codes: bool) -> Addenda:
    r = f.report
    type_code = f.alpha(2, 3)
    a = Addenda(line=f.line, type_code=type_code, raw=f.rec)
    if type_code == "05":
        a.payment_related_information = f.text(4, 83)
        a.sequence_number = f.number(84, 87, "addenda sequence number")
        a.entry_detail_sequence_number = f.digits(88, 94, "entry detail sequence number")
    elif type_code == "99":
        code = f.alpha(4, 6)
        a.return_reason_code = code
        if code not in RETURN_REASON_CODES:
            if not (allow_custom_return_codes and len(code) == 3 and code[0] == "R" and code[1:].isdigit()):
                r.error(f.line, "return reason code", f"{code!r} is not a NACHA return reason code")
        a.original_trace = f.digits(7, 21, "original entry trace number")
        a.original_rdfi = f.text(28, 35)
        if code in DISHONORED_RETURN_CODES or code in CONTESTED_RETURN_CODES:
            a.addenda_information = f.text(22, 79)
        else:
            a.date_of_death = f.text(22, 27)
            a.addenda_information = f.text(36, 79)
        a.trace_number = f.alpha(80, 94)
    elif type_code == "98":
        code = f.alpha(4, 6)
        a.change_code = code
        if code not in CHANGE_CODES:
            r.error(f.line, "change code", f"{code!r} is not a NACHA change code")
        a.original_trace = f.digits(7, 21, "original entry trace number")
        a.original_rdfi = f.text(28, 35)
        a.corrected_data = f.text(36, 64)
        a.trace_number = f.alpha(80, 94)
    elif type_code.isdigit() and 10 <= int(type_code) <= 18:
        a.addenda_information = f.text(4, 87)
        a.entry_detail_sequence_number = f.alpha(88, 94)
    else:
        r.error(f.line, "addenda type code", f"{type_code!r} is not 05, 98, 99 or an IAT addenda 10-18")
    return a


def _parse_batch_control(f: _Fields) -> BatchControl:
    return BatchControl(
        line=f.line,
        service_class_code=f.number(2, 4, "service class code"),
        entry_addenda_count=f.number(5, 10, "entry/addenda count"),
        entry_hash=f.number(11, 20, "entry hash"),
        total_debit_cents=f.number(21, 32, "total debit entry dollar amount"),
        total_credit_cents=f.number(33, 44, "total credit entry dollar amount"),
        company_identification=f.text(45, 54),
        message_authentication_code=f.text(55, 73),
        odfi_identification=f.alpha(80, 87),
        batch_number=f.number(88, 94, "batch number"),
    )


def _parse_file_control(f: _Fields) -> FileControl:
    return FileControl(
        line=f.line,
        batch_count=f.number(2, 7, "batch count"),
        block_count=f.number(8, 13, "block count"),
        entry_addenda_count=f.number(14, 21, "entry/addenda count"),
        entry_hash=f.number(22, 31, "entry hash"),
        total_debit_cents=f.number(32, 43, "total debit entry dollar amount"),
        total_credit_cents=f.number(44, 55, "total credit entry dollar amount"),
    )


def _money(cents: int) -> str:
    return f"{from_cents(cents)}"


def _check_batch(batch: Batch, report: ValidationReport) -> None:
    header = batch.header
    svc = header.service_class_code
    for e in batch.entries:
        if e.transaction_code is None:
            continue
        if svc == 220 and e.transaction_code in DEBIT_CODES:
            report.error(
                e.line,
                "transaction code",
                f"debit {e.transaction_code} in a credits-only batch (service class 220)",
            )
        if svc == 225 and e.transaction_code in CREDIT_CODES:
            report.error(
                e.line,
                "transaction code",
                f"credit {e.transaction_code} in a debits-only batch (service class 225)",
            )
    seen: dict[str, int] = {}
    previous = ""
    for e in batch.entries:
        if not e.trace_number.isdigit():
            continue
        if e.trace_number in seen:
            report.error(
                e.line, "trace number", f"{e.trace_number} repeats the entry on line {seen[e.trace_number]}"
            )
        elif previous and e.trace_number < previous:
            report.warning(e.line, "trace number", f"{e.trace_number} is lower than the entry before it")
        seen.setdefault(e.trace_number, e.line)
        previous = e.trace_number
    control = batch.control
    if control is None:
        return
    line = control.line
    if control.service_class_code is not None and svc is not None and control.service_class_code != svc:
        report.error(
            line, "service class code", f"{control.service_class_code} differs from the batch header's {svc}"
        )
    count = batch.entry_addenda_count
    if control.entry_addenda_count is not None and control.entry_addenda_count != count:
        report.error(
            line,
            "entry/addenda count",
            f"says {control.entry_addenda_count}, batch has {count} entries and addenda",
        )
    if control.entry_hash is not None and control.entry_hash != batch.entry_hash:
        report.error(line, "entry hash", f"says {control.entry_hash:010d}, computed {batch.entry_hash:010d}")
    if control.total_debit_cents is not None and control.total_debit_cents != batch.total_debit_cents:
        report.error(
            line,
            "total debit entry dollar amount",
            f"says {_money(control.total_debit_cents)}, entries total {_money(batch.total_debit_cents)}",
        )
    if control.total_credit_cents is not None and control.total_credit_cents != batch.total_credit_cents:
        report.error(
            line,
            "total credit entry dollar amount",
            f"says {_money(control.total_credit_cents)}, entries total {_money(batch.total_credit_cents)}",
        )
    if header.sec_code != "IAT" and control.company_identification != header.company_identification:
        report.error(
            line,
            "company identification",
            f"{control.company_identification!r} differs from the batch header's {header.company_identification!r}",
        )
    if control.odfi_identification != header.odfi_identification:
        report.error(
            line,
            "originating DFI identification",
            f"{control.odfi_identification!r} differs from the batch header's {header.odfi_identification!r}",
        )
    if (
        control.batch_number is not None
        and header.batch_number is not None
        and control.batch_number != header.batch_number
    ):
        report.error(
            line,
            "batch number",
            f"{control.batch_number} differs from the batch header's {header.batch_number}",
        )


def _check_entry_addenda(entry: EntryDetail, sec_code: str, report: ValidationReport) -> None:
    if entry.addenda_indicator == "1" and not entry.addenda:
        report.error(entry.line, "addenda record indicator", "is 1 but no addenda record follows")
    if entry.addenda_indicator == "0" and entry.addenda:
        report.error(entry.addenda[0].line, "addenda", "follows an entry whose addenda record indicator is 0")
    if sec_code == "IAT":
        declared = entry.iat.get("number_of_addenda_records", "")
        mandatory = sum(1 for a in entry.addenda if a.type_code in ("10", "11", "12", "13", "14", "15", "16"))
        if declared.isdigit() and int(declared) not in (len(entry.addenda), mandatory):
            report.error(
                entry.line,
                "number of addenda records",
                f"says {int(declared)}, entry has {len(entry.addenda)}",
            )
        if mandatory != 7:
            report.error(entry.line, "IAT addenda", f"entry has {mandatory} of the 7 mandatory addenda 10-16")
        return
    expected_sequence = 1
    for a in entry.addenda:
        if a.type_code == "05":
            if a.sequence_number is not None and a.sequence_number != expected_sequence:
                report.error(
                    a.line, "addenda sequence number", f"is {a.sequence_number}, expected {expected_sequence}"
                )
            expected_sequence += 1
            if entry.trace_number.isdigit() and a.entry_detail_sequence_number != entry.trace_number[-7:]:
                report.error(
                    a.line,
                    "entry detail sequence number",
                    f"{a.entry_detail_sequence_number!r} does not match the entry's trace number {entry.trace_number}",
                )
        elif a.type_code.isdigit() and 10 <= int(a.type_code) <= 18:
            report.error(a.line, "addenda type code", f"IAT addenda {a.type_code} in a {sec_code} batch")


def parse(
    source: str | bytes | Path, *, allow_custom_return_codes: bool = False, file_name: str | None = None
) -> AchFile:
    """Parse and validate a NACHA file; never raises for content problems.

    The returned :class:`AchFile` carries a :class:`ValidationReport` with every
    problem. Use :func:`read` to get a file only when it is valid.
    """
    text, name = _load(source)
    report = ValidationReport(file=file_name or name)
    for bom in ("\xef\xbb\xbf", "\ufeff"):  # UTF-8 byte order mark (as latin-1, or decoded)
        if text.startswith(bom):
            text = text[len(bom) :]
            report.warning(1, "byte order mark", "ignored at the start of the file")
    records = _split_records(text, report)
    header: FileHeader | None = None
    control: FileControl | None = None
    batches: list[Batch] = []
    batch: Batch | None = None
    entry: EntryDetail | None = None
    padding = 0
    iat_noted: set[int] = set()
    seen_first = False  # any record seen yet
    for line, rec in records:
        f = _Fields(rec, line, report)
        kind = rec[0]
        if rec == PADDING_RECORD:
            if control is None:
                report.error(line, "record type", "block padding (9999…) before the file control record")
            padding += 1
            continue
        if control is not None:
            report.error(line, "record type", f"record type {kind!r} after the file control record")
            continue
        if kind == "1":
            if header is not None:
                report.error(line, "record type", "second file header")
            elif seen_first:
                report.error(line, "record type", "file header is not the first record")
            header = _parse_file_header(f)
        elif kind == "5":
            if header is None and not batches and batch is None:
                report.error(line, "record type", "batch header before the file header")
            if batch is not None:
                report.error(
                    line,
                    "record type",
                    f"batch header inside the batch begun on line {batch.header.line} (batch control missing)",
                )
                batches.append(batch)
            batch = Batch(_parse_batch_header(f))
            entry = None
        elif kind == "6":
            if batch is None:
                report.error(line, "record type", "entry detail outside a batch")
                entry = None
                continue
            entry = _parse_entry(f, batch.header)
            batch.entries.append(entry)
        elif kind == "7":
            if batch is None or entry is None:
                report.error(line, "record type", "addenda record without an entry detail before it")
                continue
            addenda = _parse_addenda(f, allow_custom_return_codes)
            entry.addenda.append(addenda)
            if batch.header.sec_code == "IAT" and batch.header.line not in iat_noted:
                iat_noted.add(batch.header.line)
                report.warning(
                    batch.header.line, "IAT", "IAT addenda records 10-18 are kept as raw text, not parsed"
                )
        elif kind == "8":
            if batch is None:
                report.error(line, "record type", "batch control without a batch header")
                continue
            batch.control = _parse_batch_control(f)
            batches.append(batch)
            batch = None
            entry = None
        elif kind == "9":
            if batch is not None:
                report.error(
                    line,
                    "record type",
                    f"file control inside the batch begun on line {batch.header.line} (batch control missing)",
                )
                batches.append(batch)
                batch = None
            control = _parse_file_control(f)
        else:
            report.error(line, "record type", f"{kind!r} is not a NACHA record type (1, 5, 6, 7, 8, 9)")
        seen_first = True

    last_line = records[-1][0] if records else 1
    if batch is not None:
        report.error(
            last_line, "record type", f"batch begun on line {batch.header.line} has no batch control"
        )
        batches.append(batch)
    if records and header is None:
        report.error(records[0][0], "file header", "missing (a file begins with a type 1 record)")
    if records and control is None:
        report.error(last_line, "file control", "missing (a file ends with a type 9 record)")
    if not records and report.ok:
        report.error(1, "file", "is empty")

    for b in batches:
        for e in b.entries:
            _check_entry_addenda(e, b.sec_code, report)
        _check_batch(b, report)

    record_count = len(records)
    if control is not None:
        n_batches = len(batches)
        line = control.line
        if control.batch_count is not None and control.batch_count != n_batches:
            report.error(line, "batch count", f"says {control.batch_count}, file has {n_batches} batches")
        blocks = math.ceil(record_count / BLOCKING_FACTOR)
        if control.block_count is not None and control.block_count != blocks:
            report.error(
                line,
                "block count",
                f"says {control.block_count}, file has {record_count} records = {blocks} blocks",
            )
        count = sum(b.entry_addenda_count for b in batches)
        if control.entry_addenda_count is not None and control.entry_addenda_count != count:
            report.error(
                line,
                "entry/addenda count",
                f"says {control.entry_addenda_count}, file has {count} entries and addenda",
            )
        file_hash = sum(b.entry_hash for b in batches) % 10**10
        if control.entry_hash is not None and control.entry_hash != file_hash:
            report.error(line, "entry hash", f"says {control.entry_hash:010d}, computed {file_hash:010d}")
        debits = sum(b.total_debit_cents for b in batches)
        credits = sum(b.total_credit_cents for b in batches)
        if control.total_debit_cents is not None and control.total_debit_cents != debits:
            report.error(
                line,
                "total debit entry dollar amount",
                f"says {_money(control.total_debit_cents)}, entries total {_money(debits)}",
            )
        if control.total_credit_cents is not None and control.total_credit_cents != credits:
            report.error(
                line,
                "total credit entry dollar amount",
                f"says {_money(control.total_credit_cents)}, entries total {_money(credits)}",
            )
        if record_count % BLOCKING_FACTOR:
            report.warning(
                line,
                "block padding",
                f"file has {record_count} records, not a multiple of 10 (not padded with 9s)",
            )
    report.problems.sort(key=lambda p: p.line or 0)
    return AchFile(header, batches, control, record_count, padding, report)


def validate(source: str | bytes | Path, *, allow_custom_return_codes: bool = False) -> ValidationReport:
    """Every problem in a NACHA file; ``report.ok`` is True when it has no errors."""
    return parse(source, allow_custom_return_codes=allow_custom_return_codes).report


def read(source: str | bytes | Path, *, allow_custom_return_codes: bool = False) -> AchFile:
    """Parse a NACHA file and return it only if valid; otherwise raise ReportError."""
    ach = parse(source, allow_custom_return_codes=allow_custom_return_codes)
    ach.report.raise_if_errors()
    return ach


def mask_account(number: str) -> str:
    """Last four characters only (DESIGN §8: bank account numbers are never shown in full)."""
    number = number.strip()
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]


def to_dict(ach: AchFile) -> dict[str, Any]:
    """JSON-ready view for ``ratepayer ach show --format json`` (amounts as strings)."""
    batches = []
    for b in ach.batches:
        entries = []
        for e in b.entries:
            ret = e.return_addenda
            noc = e.noc_addenda
            entries.append(
                {
                    "line": e.line,
                    "transaction_code": f"{e.transaction_code:02d}"
                    if e.transaction_code is not None
                    else None,
                    "routing": e.routing,
                    "account": mask_account(e.dfi_account_number),
                    "amount": str(e.amount),
                    "individual_id": e.individual_identification,
                    "name": e.individual_name,
                    "trace": e.trace_number,
                    "return_code": e.return_code or None,
                    "original_trace": (ret.original_trace if ret else (noc.original_trace if noc else None)),
                    "change_code": noc.change_code if noc else None,
                    "corrected_data": noc.corrected_data if noc else None,
                    "addenda": [{"type": a.type_code, "line": a.line} for a in e.addenda],
                }
            )
        batches.append(
            {
                "line": b.header.line,
                "sec_code": b.sec_code,
                "service_class_code": b.header.service_class_code,
                "company_name": b.header.company_name,
                "company_identification": b.header.company_identification,
                "company_entry_description": b.header.company_entry_description,
                "effective_entry_date": b.header.effective_entry_date,
                "batch_number": b.header.batch_number,
                "entries": entries,
                "totals": {
                    "entry_addenda_count": b.entry_addenda_count,
                    "entry_hash": f"{b.entry_hash:010d}",
                    "debit": str(from_cents(b.total_debit_cents)),
                    "credit": str(from_cents(b.total_credit_cents)),
                },
            }
        )
    return {
        "valid": ach.report.ok,
        "batches": batches,
        "totals": {
            "batch_count": len(ach.batches),
            "entry_count": len(ach.entries),
            "entry_addenda_count": ach.entry_addenda_count,
            "entry_hash": f"{ach.entry_hash:010d}",
            "debit": str(ach.total_debit),
            "credit": str(ach.total_credit),
            "record_count": ach.record_count,
        },
        "problems": [
            {"severity": p.severity, "line": p.line, "field": p.field, "message": p.message}
            for p in ach.report
        ],
    }


# --------------------------------------------------------------------------- writing

_CODES = {
    ("checking", "credit", False): 22,
    ("checking", "credit", True): 23,
    ("checking", "debit", False): 27,
    ("checking", "debit", True): 28,
    ("savings", "credit", False): 32,
    ("savings", "credit", True): 33,
    ("savings", "debit", False): 37,
    ("savings", "debit", True): 38,
}


@dataclass(frozen=True, slots=True)
class OutgoingEntry:
    """One entry to originate. ``amount`` is Decimal dollars (zero for a prenote)."""

    routing: str
    account: str
    amount: Decimal
    individual_id: str
    name: str
    direction: str = "debit"  # or "credit"
    account_type: str = "checking"  # or "savings"
    prenote: bool = False
    discretionary_data: str = ""
    payment_related_information: str = ""  # one addenda 05 when set

    @property
    def transaction_code(self) -> int:
        try:
            return _CODES[(self.account_type, self.direction, self.prenote)]
        except KeyError:
            raise ValueError(
                f"no transaction code for {self.account_type} {self.direction}"
                f"{' prenote' if self.prenote else ''}"
            ) from None


@dataclass(frozen=True, slots=True)
class OutgoingBatch:
    company_name: str
    company_identification: str
    entry_description: str
    effective_date: date
    odfi: str  # 8-digit ODFI routing prefix (trace numbers start with it)
    entries: Sequence[OutgoingEntry]
    sec_code: str = "PPD"
    descriptive_date: str = ""
    discretionary_data: str = ""


def _alnum(value: str, width: int, name: str, *, truncate: bool = False) -> str:
    if not (value.isascii() and value.isprintable()):  # printable ASCII is exactly " " to "~"
        raise ValueError(f"{name}: {value!r} has characters outside printable ASCII")
    if len(value) > width:
        if not truncate:
            raise ValueError(f"{name}: {value!r} is longer than {width} characters")
        value = value[:width]
    return value.ljust(width)


def _num(value: int, width: int, name: str) -> str:
    text = str(value)
    if value < 0 or len(text) > width:
        raise ValueError(f"{name}: {value} does not fit {width} digits")
    return text.zfill(width)


def write_file(
    *,
    immediate_destination: str,
    immediate_origin: str,
    destination_name: str,
    origin_name: str,
    batches: Sequence[OutgoingBatch],
    created: datetime,
    file_id_modifier: str = "A",
    reference_code: str = "",
    line_ending: str = "\n",
    first_trace_sequence: int = 1,
) -> str:
    """Build a NACHA file (PPD/CCD/WEB debits, credits, prenotes) as text.

    ``immediate_destination`` is the 9-digit routing of the receiving point (written as
    blank + 9 digits); ``immediate_origin`` is 10 characters as agreed with the ODFI
    (e.g. '1' + EIN) or 9 digits (written as blank + 9). Trace numbers are the batch's
    ODFI + a 7-digit sequence running through the file from ``first_trace_sequence`` (an
    originator continues it across files so traces stay unique). Raises ValueError on any input
    that cannot be written correctly; never truncates identifiers or amounts (names are
    cut to their field width).
    """
    if not (
        immediate_destination.isdigit()
        and len(immediate_destination) == 9
        and is_valid_aba(immediate_destination)
    ):
        raise ValueError(f"immediate destination {immediate_destination!r} is not a valid routing number")
    origin = immediate_origin if len(immediate_origin) == 10 else " " + immediate_origin
    if not (len(origin) == 10 and origin.strip().isdigit()):
        raise ValueError(f"immediate origin {immediate_origin!r} must be 10 digits or 9 digits")
    if not (len(file_id_modifier) == 1 and (file_id_modifier.isdigit() or "A" <= file_id_modifier <= "Z")):
        raise ValueError("file id modifier must be A-Z or 0-9")
    out: list[str] = [
        "1"
        "01"
        f" {immediate_destination}"
        f"{origin}"
        f"{created:%y%m%d%H%M}"
        f"{file_id_modifier}"
        "094101"
        f"{_alnum(destination_name, 23, 'destination name', truncate=True)}"
        f"{_alnum(origin_name, 23, 'origin name', truncate=True)}"
        f"{_alnum(reference_code, 8, 'reference code')}"
    ]
    if not 1 <= first_trace_sequence <= 9_999_999:
        raise ValueError(f"first trace sequence {first_trace_sequence} must be 1 to 9999999")
    sequence = first_trace_sequence - 1
    file_count = 0
    file_hash = 0
    file_debit = 0
    file_credit = 0
    debit_codes = DEBIT_CODES
    valid_routings: set[str] = set()  # thousands of entries share a bank
    for batch_number, batch in enumerate(batches, start=1):
        if batch.sec_code not in ("PPD", "CCD", "WEB", "TEL"):
            raise ValueError(
                f"batch {batch_number}: the writer makes PPD, CCD, WEB or TEL batches, not {batch.sec_code}"
            )
        odfi = batch.odfi
        if not (odfi.isdigit() and len(odfi) == 8):
            raise ValueError(f"batch {batch_number}: ODFI {odfi!r} must be the 8-digit routing prefix")
        if not batch.entries:
            raise ValueError(f"batch {batch_number}: has no entries")
        company_id = _alnum(batch.company_identification, 10, "company identification")
        batch_no = _num(batch_number, 7, "batch number")
        lines: list[str] = []
        has_debit = has_credit = False
        count = 0
        hash_total = 0
        debit = credit = 0
        for n, e in enumerate(batch.entries, start=1):
            code = e.transaction_code
            routing = e.routing
            if routing not in valid_routings:
                if not (len(routing) == 9 and routing.isdigit() and is_valid_aba(routing)):
                    raise ValueError(f"batch {batch_number} entry {n}: routing {routing!r} fails the ABA check")
                valid_routings.add(routing)
            cents = to_cents(e.amount)
            if e.prenote and cents:
                raise ValueError(f"batch {batch_number} entry {n}: a prenote carries no amount")
            if cents < 0:
                raise ValueError(f"batch {batch_number} entry {n}: negative amount {e.amount}")
            sequence += 1
            trace = odfi + _num(sequence, 7, "trace sequence")
            addenda = e.payment_related_information
            lines.append(
                f"6{code}{routing}"
                f"{_alnum(e.account, 17, 'DFI account number')}"
                f"{_num(cents, 10, 'amount')}"
                f"{_alnum(e.individual_id, 15, 'individual identification')}"
                f"{_alnum(e.name, 22, 'individual name', truncate=True)}"
                f"{_alnum(e.discretionary_data, 2, 'discretionary data')}"
                f"{'1' if addenda else '0'}{trace}"
            )
            count += 1
            if addenda:
                lines.append(f"705{_alnum(addenda, 80, 'payment related information')}0001{trace[-7:]}")
                count += 1
            hash_total += int(routing[:8])
            if code in debit_codes:
                debit += cents
                has_debit = True
            else:
                credit += cents
                has_credit = True
        service_class = 200 if has_debit and has_credit else (225 if has_debit else 220)
        out.append(
            f"5{service_class}"
            f"{_alnum(batch.company_name, 16, 'company name', truncate=True)}"
            f"{_alnum(batch.discretionary_data, 20, 'company discretionary data')}"
            f"{company_id}"
            f"{batch.sec_code}"
            f"{_alnum(batch.entry_description, 10, 'company entry description')}"
            f"{_alnum(batch.descriptive_date, 6, 'company descriptive date')}"
            f"{batch.effective_date:%y%m%d}"
            "   1"
            f"{odfi}{batch_no}"
        )
        out.extend(lines)
        hash_total %= 10**10
        out.append(
            f"8{service_class}"
            f"{_num(count, 6, 'entry/addenda count')}"
            f"{hash_total:010d}"
            f"{_num(debit, 12, 'total debit')}"
            f"{_num(credit, 12, 'total credit')}"
            f"{company_id}"
            f"{' ' * 25}"
            f"{odfi}{batch_no}"
        )
        file_count += count
        file_hash += hash_total
        file_debit += debit
        file_credit += credit
    records = len(out) + 1
    blocks = math.ceil(records / BLOCKING_FACTOR)
    out.append(
        "9"
        f"{_num(len(batches), 6, 'batch count')}"
        f"{_num(blocks, 6, 'block count')}"
        f"{_num(file_count, 8, 'entry/addenda count')}"
        f"{file_hash % 10**10:010d}"
        f"{_num(file_debit, 12, 'total debit')}"
        f"{_num(file_credit, 12, 'total credit')}"
        f"{' ' * 39}"
    )
    out.extend([PADDING_RECORD] * (blocks * BLOCKING_FACTOR - records))
    return line_ending.join(out) + line_ending
