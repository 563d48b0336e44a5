"""Mutation corpus, pure readers: every reader behind an importer, fed every damaged
variant of a valid sample built here (tests/formats/samples.py), refuses it with the
line and field named — or, for a harmless change (CR LF, a UTF-8 byte-order mark),
reads exactly what it read from the original.

Here every variant of ``mutations.damaged`` runs: a cut at EVERY line boundary and in
the middle of EVERY line, a bit flipped and a NUL in every line, a junk line after
every line, UTF-16 and Latin-1 re-encodings and a 200,000-character line. The same
variants go through the database imports for a representative subset in
tests/test_mutation_corpus.py (there every table must also be unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from ratepayer.formats import bai2, greenbutton, interval_csv, lockbox, nacha, phone_payments, route_file
from ratepayer.formats.errors import FormatError
from tests.formats import mutations, samples

ACCOUNTS = ["10000016", "10000024"]
Problem = tuple[int | None, str, str]  # line, field, message


@dataclass(frozen=True)
class Reader:
    name: str
    sample: Callable[[], bytes]
    read: Callable[[bytes, str], tuple[list[Problem], object]]  # problems (none: accepted) and what was read


def _report(report) -> list[Problem]:
    return [(p.line, p.field, p.message) for p in report.errors]


def _lockbox_items(parsed) -> list:
    return [(i.lockbox, i.deposit_date, i.batch, i.item, i.amount, i.routing, i.account, i.check_number,
             [(s.account, s.amount_applied, s.scan_line, s.error) for s in i.stubs]) for i in parsed.items]


def read_lockbox_csv(data: bytes, name: str):
    parsed = lockbox.parse_csv(data, file_name=name)
    return _report(parsed.report), _lockbox_items(parsed)


def read_lockbox_fixed(data: bytes, name: str):
    parsed = lockbox.parse_fixed(data, file_name=name)
    return _report(parsed.report), _lockbox_items(parsed)


def read_bai2(data: bytes, name: str):
    parsed = bai2.parse(data, file_name=name)
    return _report(parsed.report), [(t.type_code, t.amount, t.bank_reference, t.text) for t in parsed.transactions]


def read_nacha(data: bytes, name: str):
    parsed = nacha.parse(data, allow_custom_return_codes=True, file_name=name)
    return _report(parsed.report), [(e.trace_number, e.amount, e.dfi_account_number,
                                     e.return_addenda.return_reason_code if e.return_addenda else None)
                                    for e in parsed.entries]


_PROBLEM_TEXT = re.compile(r"line (\d+): ([^:]+): (.+)", re.S)


def read_phone(data: bytes, name: str):
    rows, problems = phone_payments.parse(data, phone_payments.PhoneCsvLayout(), name=name)
    parsed = []
    for text in problems:
        match = _PROBLEM_TEXT.fullmatch(text)
        parsed.append((int(match.group(1)), match.group(2), match.group(3)) if match else (None, "", text))
    return parsed, rows


def read_route(data: bytes, name: str):
    reads, report = route_file.parse_route_file(data, name=name)
    return _report(report), reads


def read_intervals(data: bytes, name: str):
    rows, report = interval_csv.parse_interval_csv(data, name=name, zone=ZoneInfo("America/Los_Angeles"))
    return _report(report), [(r.meter_serial, r.start, r.wh, r.seconds) for r in rows]


def read_green_button(data: bytes, name: str):
    try:
        parsed = greenbutton.parse(data)
    except FormatError as exc:
        return [(exc.line, exc.field, exc.message)], None
    return [], [(r.start, r.duration, r.value) for m in parsed.meter_readings for r in m.readings]


READERS = [
    Reader("lockbox CSV", lambda: samples.lockbox_csv(ACCOUNTS), read_lockbox_csv),
    Reader("lockbox fixed-width", lambda: samples.lockbox_fixed(ACCOUNTS), read_lockbox_fixed),
    Reader("BAI2 bank statement", samples.bai2, read_bai2),
    Reader("NACHA returns", samples.nacha_returns, read_nacha),
    Reader("pay-by-phone CSV", lambda: samples.phone_csv(ACCOUNTS), read_phone),
    Reader("route file", lambda: samples.route_file([("E1000123", date(2025, 2, 5), 21260),
                                                                ("W2000789", date(2025, 2, 5), 831)]), read_route),
    Reader("interval CSV", lambda: samples.interval_csv("AMI-0001"), read_intervals),
    Reader("Green Button XML", samples.green_button, read_green_button),
]
IDS = [r.name for r in READERS]


@pytest.mark.parametrize("reader", READERS, ids=IDS)
def test_the_sample_is_valid(reader):
    problems, result = reader.read(reader.sample(), "sample")
    assert problems == [] and result


@pytest.mark.parametrize("reader", READERS, ids=IDS)
def test_every_damaged_variant_is_refused_naming_line_and_field(reader):
    original = reader.sample()
    _, expected = reader.read(original, "sample")
    accepted = []
    unnamed = []
    for label, data in mutations.damaged(original):
        problems, result = reader.read(data, "damaged.dat")
        if not problems:
            if result != expected:
                accepted.append(label)
            continue
        # a refusal says where: the first problem names its line and its field
        line, field, message = problems[0]
        if line is None or not field or not message:
            unnamed.append((label, problems[0]))
    assert accepted == [], f"{reader.name}: damaged variants read as good with other content: {accepted}"
    assert unnamed == [], f"{reader.name}: refusals without line or field: {unnamed[:5]}"


@pytest.mark.parametrize("reader", READERS, ids=IDS)
def test_harmless_changes_read_exactly_as_the_original(reader):
    original = reader.sample()
    _, expected = reader.read(original, "sample")
    for label, data in mutations.harmless(original):
        problems, result = reader.read(data, "harmless.dat")
        assert problems == [], f"{reader.name}, {label}: {problems[:3]}"
        assert result == expected, label


def test_a_bai2_statement_with_a_junk_or_20_million_character_line_is_refused_naming_it():
    """Issue 10, point 7: both were imported."""
    lines = mutations.lines_of(samples.bai2())
    junk = b"".join(lines[:5]) + b"hello, this is junk\n" + b"".join(lines[5:])
    assert bai2.parse(junk).report.lines()[0].startswith("line 6: record code: line does not begin with a record "
                                                         "code")
    huge = b"".join(lines[:5]) + b"16" + b"9" * 20_000_000 + b"\n" + b"".join(lines[5:])
    first = bai2.parse(huge).report.errors[0]
    assert (first.line, first.field) == (6, "record") and "20,000,002 characters" in first.message
