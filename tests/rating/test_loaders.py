"""Load files: CSV intervals and Green Button, with errors naming the line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ratepayer import rating
from ratepayer.kernel.periods import Period
from ratepayer.rating.loaders import _minimal_green_button

TZ = "America/Los_Angeles"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "greenbutton"


def write(tmp_path, text):
    path = tmp_path / "load.csv"
    path.write_text(text)
    return path


def test_csv_infers_interval_and_converts_local_time(tmp_path):
    path = write(tmp_path, "start,kwh\n2025-01-01T00:00,1.5\n2025-01-01T00:15,0.25\n2025-01-01T00:30,0\n")
    usage = rating.load_interval_csv(path, TZ)
    assert usage.interval_minutes == 15
    assert int(usage.epoch[0]) == 1735718400  # 2025-01-01 08:00Z = 00:00 PST
    assert usage.values.tolist() == [[1.5, 0.25, 0.0]]


def test_csv_across_the_fall_back_hour(tmp_path):
    rows = ["start,kwh"] + [f"2025-11-02T00:{m:02d},1" for m in (0, 30)]
    rows += [f"2025-11-02T01:{m:02d},1" for m in (0, 30)] * 2 + ["2025-11-02T02:00,1"]
    usage = rating.load_interval_csv(write(tmp_path, "\n".join(rows) + "\n"), TZ)
    assert usage.interval_minutes == 30 and np.all(np.diff(usage.epoch) == 1800)


def test_csv_values_of_six_places_are_kept_and_billed_exactly(tmp_path):
    # A meter reporting 1.551 kW every 15 minutes: kWh = 1.551 / 4 = 0.387750 (6 places, 5 significant).
    # One day of it (96 intervals) = 96 x 0.38775 = 37.224 kWh exactly; at Clark's 0.0879 $/kWh:
    #   37.224 x 0.0879 = 3.2719896 -> 3.27
    # before: the file was refused ("0.387750 has more than 4 decimal places")
    rows = ["start,kwh"] + [f"2024-04-01T{h:02d}:{m:02d},0.387750" for h in range(24) for m in (0, 15, 30, 45)]
    usage = rating.load_interval_csv(write(tmp_path, "\n".join(rows) + "\n"), TZ)
    tariff = rating.load_tariff("clark_public_utilities_residential_2024.yaml")
    bill = rating.rate(tariff, usage, Period(date(2024, 4, 1), date(2024, 4, 1)))
    energy = [line for line in bill.lines if line.kind == "energy"][0]
    assert energy.quantity == Decimal("37.224")
    assert energy.amount == Decimal("3.27")


@pytest.mark.parametrize(
    "text,message",
    [
        ("time,kwh\n", "line 1: header must be"),
        ("start,kwh\n2025-01-01T00:00,1\n2025-01-01T00:15,x\n", "line 3: kwh 'x' is not a number"),
        ("start,kwh\nyesterday,1\n", "line 2: start 'yesterday' is not an ISO date-time"),
        ("start,kwh\n2025-01-01T00:00,1\n2025-01-01T00:15,1\n2025-01-01T00:45,1\n2025-01-01T01:00,1\n",
         "line 4: interval is 30 min"),
        ("start,kwh\n2025-03-09T01:30,1\n2025-03-09T02:30,1\n", "does not exist"),
        ("start,kwh\n2025-01-01T00:00,1,2\n", "line 2: expected 2 fields"),
    ],
)
def test_csv_errors_name_the_line(tmp_path, text, message):
    with pytest.raises(rating.LoadError, match=message):
        rating.load_interval_csv(write(tmp_path, text), TZ)


@pytest.mark.skipif(not SHARED.exists(), reason="shared Green Button samples not present")
def test_green_button_reader_and_fallback_agree():
    path = SHARED / "Coastal_Multi_Family_Jan_1_2011_to_Jan_1_2012_RetailCustomer_5.xml"
    usage = rating.load_green_button(path, TZ)
    fallback = _minimal_green_button(path, TZ)
    assert usage.values.shape == (1, 8760) and usage.interval_minutes == 60
    assert np.array_equal(usage.epoch, fallback.epoch) and np.array_equal(usage.values, fallback.values)
    assert round(float(usage.values.sum()), 3) == 4425.305
