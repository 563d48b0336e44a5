from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from ratepayer.formats import greenbutton
from ratepayer.formats.errors import FormatError
from tests.formats.conftest import needs_samples, reference_dir

GB = reference_dir("greenbutton")
SAMPLES = sorted(p.stem for p in GB.glob("*.xml"))

HEADER = re.compile(
    r"^UsagePoint \((?P<up>.*)\) Service: (?P<service>\w+) \(-?\d+\) Meter Reading \((?P<mr>.*)\) .*:$"
)
READING = re.compile(
    r"^\s+(?P<start>\S+ \S+), (?P<duration>.+): (?P<value>\S+) (?P<unit>\S+?)(?:\(\$(?P<cost>\S+)\))?$"
)


def _expected(stem: str):
    """The golden output of greenbutton_objects: header, then one line per reading."""
    lines = [
        line for line in (GB / "expected_results" / f"{stem}.txt").read_text().splitlines() if line.strip()
    ]
    header = HEADER.match(lines[0])
    assert header, lines[0]
    readings = []
    for line in lines[1:]:
        m = READING.match(line)
        assert m, line
        readings.append(m)
    return header, readings


def _seconds(text: str) -> int:
    days = 0
    if "day" in text:
        day_part, text = text.split(", ")
        days = int(day_part.split()[0])
    h, m, s = (int(x) for x in text.split(":"))
    return days * 86400 + h * 3600 + m * 60 + s


@needs_samples
def test_all_samples_have_expected_results():
    assert SAMPLES == sorted(p.stem for p in (GB / "expected_results").glob("*.txt"))
    assert len(SAMPLES) == 4


@pytest.mark.parametrize("stem", SAMPLES)
def test_reproduces_expected_results(stem):
    header, expected = _expected(stem)
    data = greenbutton.parse(GB / f"{stem}.xml")
    (usage_point,) = data.usage_points
    (meter,) = usage_point.meter_readings
    assert usage_point.title == header["up"]
    assert usage_point.service == header["service"]
    assert meter.title == header["mr"]
    readings = meter.readings
    assert len(readings) == len(expected)
    for got, want in zip(readings, expected, strict=True):
        assert got.start_utc == datetime.fromisoformat(want["start"])
        assert got.duration == _seconds(want["duration"])
        assert got.value == Decimal(want["value"])
        assert meter.unit == want["unit"]
        if want["cost"] is None:
            assert got.cost is None
            # the one-line rendering is the golden line itself
            assert greenbutton.describe(got, meter.unit) == want.string.strip()
        else:
            # the oracle prints cost as a float ("$51.0"); compare the numbers
            assert got.cost == Decimal(want["cost"])


def test_coastal_year_totals():
    meter = greenbutton.parse(
        GB / "Coastal_Multi_Family_Jan_1_2011_to_Jan_1_2012_RetailCustomer_5.xml"
    ).meter_readings[0]
    assert len(meter.readings) == 8760
    assert meter.total == Decimal("4425305")  # Wh = 4,425.305 kWh
    assert max(meter.values) == Decimal("944")
    assert len(meter.blocks) == 12
    assert meter.gaps() == []
    assert meter.reading_type.uom == 72 and meter.reading_type.interval_length == 3600
    arrays = meter.to_numpy()
    assert arrays["value"].dtype == np.float64 and arrays["value"].shape == (8760,)
    assert arrays["start"][0] == 1293868800  # 2011-01-01 08:00 UTC
    assert np.all(np.diff(arrays["start"]) == 3600)


def test_costs_are_decimal_currency_units():
    meter = greenbutton.parse(GB / "TestGBDataHourlyNineDaysBinnedDaily.xml").meter_readings[0]
    first = meter.readings[0]
    assert first.value == Decimal("273") and first.cost == Decimal("0.00819")
    assert all(isinstance(c, Decimal) for c in meter.costs)


def test_gas_billing_periods_scaled_by_power_of_ten():
    data = greenbutton.parse(
        GB / "ngma_natural_gas_billing_billing_data_Service_1_1_2021-05-26_to_2024-04-25.xml"
    )
    (up,) = data.usage_points
    assert up.kind == 1 and up.service == "GAS"
    meter = up.meter_readings[0]
    assert meter.reading_type.power_of_ten_multiplier == -3
    assert meter.unit == "therm"
    first = meter.readings[0]
    assert (first.raw_value, first.value, first.cost) == (37000, Decimal("37.000"), Decimal("51"))
    assert first.duration == 35 * 86400


def test_containerized_feed_and_gap_detection():
    data = greenbutton.parse(GB / "electric_containerized.xml")
    meter = data.meter_readings[0]
    assert len(meter.blocks) == 2
    (gap,) = meter.gaps()
    assert datetime.fromtimestamp(gap.start, tz=UTC) == datetime(2011, 1, 1, 12, tzinfo=UTC)
    assert timedelta(seconds=gap.seconds) == timedelta(hours=8)
    assert data.local_time is not None and data.local_time.tz_offset == -28800


def test_find_gaps_reports_overlaps():
    gaps = greenbutton.find_gaps([0, 3600, 7000, 14400], [3600, 3600, 3600, 3600])
    assert [(g.start, g.end, g.is_overlap) for g in gaps] == [(7200, 7000, True), (10600, 14400, False)]


MINIMAL = """<feed xmlns="http://www.w3.org/2005/Atom">
 <entry><link rel="self" href="RetailCustomer/1/UsagePoint/1"/><title>Home</title>
  <content><UsagePoint xmlns="http://naesb.org/espi"><ServiceCategory><kind>0</kind></ServiceCategory></UsagePoint></content></entry>
 <entry><content><ReadingType xmlns="http://naesb.org/espi">
   <accumulationBehaviour>4</accumulationBehaviour><commodity>1</commodity><currency>840</currency>
   <flowDirection>1</flowDirection><intervalLength>3600</intervalLength><kind>12</kind>
   <powerOfTenMultiplier>0</powerOfTenMultiplier><uom>72</uom></ReadingType></content></entry>
 <entry><link rel="self" href="RetailCustomer/1/UsagePoint/1/MeterReading/1"/>
  <content><MeterReading xmlns="http://naesb.org/espi"/></content></entry>
 <entry><content><IntervalBlock xmlns="http://naesb.org/espi">
   <interval><duration>7200</duration><start>1736150400</start></interval>
   <IntervalReading><cost>11200</cost><timePeriod><duration>3600</duration><start>1736150400</start></timePeriod><value>1250</value></IntervalReading>
   <IntervalReading><ReadingQuality><quality>8</quality></ReadingQuality><timePeriod><duration>3600</duration><start>1736154000</start></timePeriod><value>980</value></IntervalReading>
 </IntervalBlock></content></entry>
</feed>"""


def test_domain_minimal_example_from_text_and_bytes():
    for source in (MINIMAL, MINIMAL.encode()):
        meter = greenbutton.parse(source).meter_readings[0]
        first, second = meter.readings
        assert first.start_utc == datetime(2025, 1, 6, 8, tzinfo=UTC)
        assert first.value / 1000 == Decimal("1.25")  # kWh
        assert first.cost == Decimal("0.112")
        assert second.quality == 8


def test_unsafe_xml_is_refused():
    bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><feed>&lol2;</feed>'
    with pytest.raises(FormatError) as excinfo:
        greenbutton.parse(bomb)
    assert excinfo.value.field == "xml"


def test_malformed_xml_names_the_line():
    with pytest.raises(FormatError) as excinfo:
        greenbutton.parse(b"<feed>\n<entry>\n</feed>")
    assert excinfo.value.line == 3


def test_reading_without_value_is_an_error():
    broken = MINIMAL.replace("<value>980</value>", "")
    with pytest.raises(FormatError) as excinfo:
        greenbutton.parse(broken)
    assert excinfo.value.field == "value"
