"""The text under every line-oriented file we read, checked the same way for all of them.

A file from a bank, a processor or a handheld is bytes. Before any format reads it:

* a UTF-8 byte-order mark is harmless (spreadsheet exports add one) and is dropped;
* a UTF-16 file (byte-order mark FF FE / FE FF) is refused with what to do, as are
  bytes that are not UTF-8 (a Latin-1 export, a bit flipped in transfer) — named by
  line and column, never a ``UnicodeDecodeError``;
* a NUL character is never data: it is refused where it is;
* no line is longer than :data:`MAX_LINE_CHARS` — a file with a 20-million-character
  line is damaged, not a statement, and reading it as CSV would otherwise stop with
  Python's "field larger than field limit" error;
* CR LF and CR line ends read as LF.

``decode_text`` and ``read_csv_rows`` add their problems to a
:class:`~ratepayer.formats.errors.ValidationReport` and return ``None`` when the file
cannot be read at all.
"""

from __future__ import annotations

import codecs
import csv
import io
from decimal import Decimal

from ratepayer.formats.errors import ValidationReport
from ratepayer.kernel import money

MAX_LINE_CHARS = 10_000  # far above any record we read (NACHA 94, BAI2 < 1,000, CSV rows < 1,000)
MAX_PROBLEMS_PER_KIND = 5


def _line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1


def decode_text(content: bytes, report: ValidationReport, *, encoding: str = "utf-8",
                max_line: int | None = None) -> str | None:
    """The file's text with line ends as LF, or None (problems in ``report``).

    ``encoding`` is ``utf-8`` for every format but those defined as Latin-1, which
    pass ``latin-1`` (every byte decodes; the format's own field checks refuse what does
    not belong). ``max_line`` defaults to :data:`MAX_LINE_CHARS`; a format whose file may
    come as one stream without line breaks (BAI2, NACHA) checks its records instead and
    passes 0."""
    max_line = MAX_LINE_CHARS if max_line is None else max_line
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
            len(content) >= 4 and content[1:4:2] == b"\x00\x00" and content[0] != 0):
        report.error(1, "file", "the file is UTF-16 text; save or export it as UTF-8 (or plain ASCII) and import "
                                "it again")
        return None
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
    if encoding == "utf-8":
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, column = _line_and_column(content, exc.start)
            report.error(line, "file", f"byte 0x{content[exc.start]:02X} at column {column} is not UTF-8 text "
                                       "(a file saved as Latin-1/Windows-1252, or damaged in transfer); save it as "
                                       "UTF-8 and import it again")
            return None
    else:
        text = content.decode(encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    ok = True
    nul_found = long_found = 0
    for number, row in enumerate(text.split("\n"), start=1):
        if "\x00" in row and nul_found < MAX_PROBLEMS_PER_KIND:
            nul_found += 1
            report.error(number, "file", f"a NUL character at column {row.index(chr(0)) + 1}: the file is "
                                         "damaged or not a text file")
            ok = False
        if max_line and len(row) > max_line and long_found < MAX_PROBLEMS_PER_KIND:
            long_found += 1
            report.error(number, "file", f"the line is {len(row):,} characters long (at most {max_line:,}): "
                                         "the file is damaged")
            ok = False
    return text if ok else None


def require_complete_last_line(text: str, report: ValidationReport) -> bool:
    """A text file ends with a line break; one that does not was cut off mid-line."""
    if text and not text.endswith("\n"):
        report.error(text.count("\n") + 1, "file", "the file ends in the middle of a line: it was cut off "
                                                   "(truncated), so none of it was imported")
        return False
    return True


def read_csv_rows(text: str, report: ValidationReport, *, delimiter: str = ",") -> list[list[str]] | None:
    """The CSV rows of ``text`` (already checked by ``decode_text``), or None when the
    CSV itself is malformed (an unclosed quote, a field over the limit)."""
    if not require_complete_last_line(text, report):
        return None
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        report.error(reader.line_num or 1, "file", f"not readable as CSV ({exc})")
        return None
    return rows


# the largest amount a file may carry: a stored amount holds 12 digits before the point
FILE_MAX_AMOUNT = Decimal("999999999999.99")


def parse_amount(text: str) -> Decimal | None:
    """A file's amount in dollars and cents, or None when it is not one: the
    kernel's one rule (kernel.money.parse_amount) in bank notation — an
    optional $, thousands commas only in proper groups, at most two decimals;
    never an exponent (1e2), a sign, spaces inside, or more than 12 digits.
    ``amount_problem`` says why a text was refused."""
    try:
        return money.parse_amount(text, what="", maximum=FILE_MAX_AMOUNT, bank_notation=True)
    except money.MoneyError:
        return None


def amount_refusal(text: str) -> str:
    """Why ``parse_amount`` refuses ``text``, in words: "'1e2' is not an amount
    in dollars and cents: it is written with an exponent ..."."""
    try:
        money.parse_amount(text, what="", maximum=FILE_MAX_AMOUNT, bank_notation=True)
    except money.AmountRefused as exc:
        shown = f"{text.strip()[:40]!r} is not an amount in dollars and cents"
        problem = exc.problem
        if problem.startswith(repr(text.strip())):
            problem = problem[len(repr(text.strip())):].strip()
            problem = "" if problem.startswith("is not an amount") else problem
        if problem.startswith(("is ", "has ")):
            problem = f"it {problem}"
        return f"{shown}: {problem}" if problem else shown
    return ""
