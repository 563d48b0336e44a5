"""Interval data: the Green Button samples import with their expected results; CSV
layout; atomic and idempotent imports; gap detection; packed storage round trip."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ratepayer.customers.models import Meter
from ratepayer.metering import actions
from ratepayer.metering.errors import AlreadyImported, ImportRejected
from ratepayer.metering.models import IntervalDay, PeriodUsage, ReadImportFile
from ratepayer.metering.queries import interval_ranges
from ratepayer.staff.errors import PermissionRefused
from tests.formats.conftest import needs_samples, reference_dir

GB = reference_dir("greenbutton")
READING = re.compile(r"^\s+(?P<start>\S+ \S+), (?P<duration>.+?): (?P<value>[\d.]+) (?P<unit>\w+)(\(\$(?P<cost>[\d.]+)\))?$")
INTERVAL_SAMPLES = ["Coastal_Multi_Family_Jan_1_2011_to_Jan_1_2012_RetailCustomer_5", "TestGBDataHourlyNineDaysBinnedDaily",
                    "electric_containerized"]
GAS_SAMPLE = "ngma_natural_gas_billing_billing_data_Service_1_1_2021-05-26_to_2024-04-25"


def expected(stem: str) -> list[re.Match]:
    lines = [x for x in (GB / "expected_results" / f"{stem}.txt").read_text().splitlines()[1:] if x.strip()]
    return [READING.match(x) for x in lines]


@pytest.fixture
def ami_meter(db):
    return Meter.objects.create(serial_number="AMI-0001", service="electric", kind="interval")


@pytest.mark.parametrize("stem", INTERVAL_SAMPLES)
def test_green_button_samples_import_with_the_expected_results(stem, ami_meter, users, django_assert_max_num_queries):
    content = (GB / f"{stem}.xml").read_bytes()
    with django_assert_max_num_queries(15):
        result = actions.import_intervals(user=users["specialist"], content=content, name=f"{stem}.xml",
                                          meter_serial="AMI-0001")
    want = expected(stem)
    assert result.intervals == len(want)
    starts = [int(datetime.fromisoformat(m["start"]).timestamp()) for m in want]
    first, last = min(starts), max(starts) + 3600
    (usage,) = interval_ranges([(ami_meter.pk, first, last)]).values()
    got = {int(t): v for t, v in zip(usage.starts.astype("int64"), usage.kwh, strict=True) if not np.isnan(v)}
    assert got == {s: float(m["value"]) / 1000 for s, m in zip(starts, want, strict=True)}
    hours = (last - first) // 3600
    assert len(got) + sum(int((b - a).total_seconds()) // 3600 for a, b in usage.gaps) == hours
    if stem == "electric_containerized":  # 8 readings in two blocks: 04:00–12:00 local is a gap
        assert usage.gaps == ((datetime(2011, 1, 1, 12, tzinfo=UTC), datetime(2011, 1, 1, 20, tzinfo=UTC)),)
    if stem.startswith("Coastal"):
        assert usage.total_kwh == Decimal("4425.305") and usage.gaps == ()
        assert IntervalDay.objects.filter(meter=ami_meter).count() == 366  # UTC days, 08:00 to 08:00


def test_gas_billing_period_sample_is_stored_as_period_usage(users, db):
    meter = Meter.objects.create(serial_number="GAS-1", service="electric", unit="kWh")
    result = actions.import_intervals(user=users["specialist"], content=(GB / f"{GAS_SAMPLE}.xml").read_bytes(),
                                      name="gas.xml", meter_serial="GAS-1")
    want = expected(GAS_SAMPLE)
    assert (result.periods, result.intervals) == (len(want), 0)
    rows = list(PeriodUsage.objects.filter(meter=meter).order_by("start"))
    for row, m in zip(rows, want, strict=True):
        assert row.start == datetime.fromisoformat(m["start"])
        assert row.quantity == Decimal(m["value"]) and row.unit == m["unit"] == "therm"
        assert row.cost == Decimal(m["cost"])
    assert rows[0].seconds == 35 * 86400


def test_same_interval_file_twice_is_refused(ami_meter, users):
    content = (GB / "electric_containerized.xml").read_bytes()
    actions.import_intervals(user=users["specialist"], content=content, name="a.xml", meter_serial="AMI-0001")
    with pytest.raises(AlreadyImported):
        actions.import_intervals(user=users["specialist"], content=content, name="b.xml", meter_serial="AMI-0001")
    assert ReadImportFile.objects.count() == 1


def test_malformed_xml_and_missing_meter_are_rejected_whole(ami_meter, users):
    content = (GB / "electric_containerized.xml").read_bytes()
    with pytest.raises(ImportRejected, match="not well-formed XML"):
        actions.import_intervals(user=users["specialist"], content=content[: len(content) // 2], name="cut.xml",
                                 meter_serial="AMI-0001")
    with pytest.raises(ImportRejected, match="no meter with serial number 'NOPE'"):
        actions.import_intervals(user=users["specialist"], content=content, name="x.xml", meter_serial="NOPE")
    with pytest.raises(PermissionRefused):
        actions.import_intervals(user=users["auditor"], content=content, name="x.xml", meter_serial="AMI-0001")
    assert not IntervalDay.objects.exists() and not ReadImportFile.objects.exists()


def csv_intervals(rows: list[str]) -> bytes:
    return ("meter,start,kwh\n" + "\n".join(rows) + f"\nTRAILER,{len(rows)}\n").encode()


def test_csv_intervals_merge_with_stored_days_and_find_gaps(ami_meter, users):
    start = datetime(2025, 1, 6, 8, tzinfo=UTC)
    first = [f"AMI-0001,{(start + timedelta(minutes=15 * i)).isoformat()},0.{i % 9 + 1}" for i in range(0, 96, 2)]
    second = [f"AMI-0001,{(start + timedelta(minutes=15 * i)).isoformat()},1.5" for i in range(1, 96, 2)]
    actions.import_intervals(user=users["specialist"], content=csv_intervals(first[:20]), name="part1.csv")
    (usage,) = interval_ranges([(ami_meter.pk, int(start.timestamp()), int(start.timestamp()) + 86400)]).values()
    assert usage.interval_seconds == 1800  # inferred from the spacing of this file's readings
    # a 15-minute file for the same day refuses to mix interval lengths in a stored day
    with pytest.raises(ImportRejected, match="1800-second intervals"):
        actions.import_intervals(user=users["specialist"], content=csv_intervals(first[:20] + second[:20]),
                                 name="mixed.csv")


def test_csv_interval_rows_name_line_and_field(ami_meter, users):
    bad = csv_intervals(["AMI-0001,2025-01-06T00:00:00-08:00,0.5", "AMI-0001,yesterday,0.5", "AMI-0001,2025-01-06T01:00,x"])
    with pytest.raises(ImportRejected) as info:
        actions.import_intervals(user=users["specialist"], content=bad, name="bad.csv")
    assert [str(p) for p in info.value.problems] == ["bad.csv, line 3, field start: 'yesterday' is not an ISO 8601 date-time",
                                                     "bad.csv, line 4, field kwh: 'x' is not a number"]
    with pytest.raises(ImportRejected, match="cut off"):
        actions.import_intervals(user=users["specialist"], content=bad[:-3], name="cut.csv")
    assert not IntervalDay.objects.exists()


def test_local_times_without_offset_are_the_utilitys_time_zone(ami_meter, users):
    actions.import_intervals(user=users["specialist"], name="local.csv", content=csv_intervals(
        ["AMI-0001,2025-07-01T00:00:00,1.0", "AMI-0001,2025-07-01T01:00:00,2.0"]))
    start = int(datetime(2025, 7, 1, 7, tzinfo=UTC).timestamp())  # PDT is UTC-7
    (usage,) = interval_ranges([(ami_meter.pk, start, start + 7200)]).values()
    assert usage.kwh.tolist() == [1.0, 2.0] and usage.total_kwh == Decimal("3.0000")


def test_packed_storage_round_trips_a_year_for_many_meters(db, users, django_assert_max_num_queries):
    meters = Meter.objects.bulk_create([Meter(serial_number=f"AMI{i:04d}", service="electric", kind="interval")
                                        for i in range(50)])
    start = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
    starts = np.arange(start, start + 365 * 86400, 3600)
    rng = np.random.default_rng(7)
    series = [(m, 3600, starts.tolist(), rng.integers(0, 5000, len(starts)).tolist()) for m in meters]
    assert actions.load_intervals_bulk(series) == 50 * 365
    month = (start + 31 * 86400, start + 59 * 86400)
    with django_assert_max_num_queries(1):
        usage = interval_ranges([(m.pk, *month) for m in meters])
    for m, _, _, wh in series:
        got = usage[(m.pk, *month)].kwh
        assert np.array_equal(got, np.asarray(wh[31 * 24:59 * 24]) / 1000)


@needs_samples
def test_intervals_command_reads_green_button_and_csv(ami_meter, users, capsys):
    from django.core.management import call_command

    path = Path(GB / "electric_containerized.xml")
    call_command("intervals", "import", str(path), "--meter", "AMI-0001", "--user", "specialist")
    assert "8 intervals" in capsys.readouterr().out
