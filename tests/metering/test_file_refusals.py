"""Meter-read and interval files through the database: refused whole, or right (issue
10, points 8 and 10). The representative subset of tests/refusals.py runs through the
route-file, interval-CSV and Green Button imports; every variant runs against the pure
readers in tests/formats/test_mutation_corpus.py. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from ratepayer.customers.models import Meter
from ratepayer.metering import actions
from ratepayer.metering.errors import ImportRejected
from ratepayer.metering.models import IntervalDay, ReadImportFile, RegisterRead
from tests.formats import mutations, samples
from tests.refusals import assert_harmless_changes_import_as_the_original, assert_refused_whole, table_counts


@pytest.fixture
def ami_meter(db):
    return Meter.objects.create(serial_number="AMI-0001", service="electric", kind="interval")


def _route_sample() -> bytes:
    # the history fixture reads E1000123 monthly to 2025-01-05 at about 30 kWh a day
    last = RegisterRead.objects.filter(meter__serial_number="E1000123").latest("read_date").value
    return samples.route_file([("E1000123", date(2025, 2, 5), int(last) + 930),
                               ("E1000123", date(2025, 3, 5), int(last) + 1770)])


def _reads():
    return sorted((r.meter.serial_number, r.read_date, r.value, r.consumption, r.status, r.note)
                  for r in RegisterRead.objects.filter(source="route_file").select_related("meter"))


def _days():
    return sorted((d.meter.serial_number, d.day, d.interval_seconds, bytes(d.wh))
                  for d in IntervalDay.objects.select_related("meter"))


IMPORTERS = {
    "route file": (_route_sample, lambda user, data, name: actions.import_route_file(user=user, content=data,
                                                                                     name=name), _reads),
    "interval CSV": (lambda: samples.interval_csv("AMI-0001"), lambda user, data, name: actions.import_intervals(
        user=user, content=data, name=name), _days),
    "Green Button XML": (samples.green_button, lambda user, data, name: actions.import_intervals(
        user=user, content=data, name=name, meter_serial="AMI-0001"), _days),
}


@pytest.mark.parametrize("kind", IMPORTERS)
def test_damaged_files_are_refused_whole_with_every_table_unchanged(kind, users, meter_with_history, ami_meter):
    build, do_import, _ = IMPORTERS[kind]
    tried = assert_refused_whole(lambda data, name: do_import(users["specialist"], data, name), ImportRejected,
                                 build())
    assert len(tried) >= 8, tried
    assert not ReadImportFile.objects.exclude(kind="bulk").exists()


@pytest.mark.parametrize("kind", IMPORTERS)
def test_crlf_and_a_byte_order_mark_import_exactly_as_the_original(kind, users, meter_with_history, ami_meter):
    build, do_import, describe = IMPORTERS[kind]
    assert_harmless_changes_import_as_the_original(lambda data, name: do_import(users["specialist"], data, name),
                                                   describe, build())


@pytest.mark.parametrize("command, content", [
    ("reads", lambda: b"meter,read_date,reading\nE1000123,2025-02-05," + b"9" * 140_000 + b"\nTRAILER,1\n"),
    ("intervals", lambda: b"meter,start,kwh\nAMI-0001,2025-01-06T00:00:00Z," + b"9" * 140_000 + b"\nTRAILER,1\n"),
])
def test_a_field_over_the_csv_limit_is_refused_by_the_commands(command, content, users, meter_with_history,
                                                               ami_meter, tmp_path, capsys):
    """Issue 10, point 8: a CSV field over 131,072 characters was a traceback in
    `reads import` and `intervals import`."""
    path = Path(tmp_path / "huge.csv")
    path.write_bytes(content())
    before = table_counts()
    with pytest.raises(SystemExit) as exit_status:
        call_command(command, "import", str(path), "--user", "specialist")
    assert exit_status.value.code == 2
    assert "huge.csv, line 2, field file: the line is 140,0" in capsys.readouterr().err
    assert table_counts() == before


def test_a_cut_route_file_then_the_whole_one(users, meter_with_history):
    """A route file cut at a line boundary (its trailer lost) stores nothing; the whole
    file then imports — a refused file never counts as imported."""
    whole = _route_sample()
    lines = mutations.lines_of(whole)
    with pytest.raises(ImportRejected, match=r"cut.csv, line 2, field trailer: the file has no TRAILER line"):
        actions.import_route_file(user=users["specialist"], content=b"".join(lines[:2]), name="cut.csv")
    result = actions.import_route_file(user=users["specialist"], content=whole, name="whole.csv")
    assert result.reads_created == 2
