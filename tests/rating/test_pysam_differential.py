"""Differential test against NREL PySAM Utilityrate5 (test-only oracle).

For a deterministic family of URDB rates that SAM can express (calendar-month
periods, $/month fixed and minimum charges, hourly loads of 2018 - a non-leap
year starting on a Monday, no DST), every month of every rate must agree:

* each energy line (TOU period x tier) equals SAM's unrounded charge for that
  period and tier to within half a cent (ours is rounded half-up per line);
* each kind (energy, demand, fixed, minimum) and the month's total agree with
  SAM's to within half a cent per bill line, i.e. our total is SAM's total
  with each line rounded to the cent.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import PySAM.Utilityrate5  # noqa: F401  (the oracle must be there: a missing PySAM fails, never skips)
import pytest

from ratepayer import rating
from ratepayer.kernel.periods import month_periods

from .pysam_oracle import YEAR_START_EPOCH, hourly_load, pysam_monthly, urdb_family

FAMILY = urdb_family(40)
PERIODS = month_periods(date(2018, 1, 1), date(2018, 12, 31))
HALF_CENT = 0.005 + 1e-6


def _period_index(line: rating.BillLine) -> int:
    if line.tou is None:
        return 0
    return int(line.tou.rsplit("_", 1)[1])


@pytest.mark.parametrize("k", range(len(FAMILY)), ids=[r["label"] for r in FAMILY])
def test_monthly_bills_agree_with_pysam(k):
    rate_obj = FAMILY[k]
    load = hourly_load(k)
    sam = pysam_monthly(rate_obj, load)
    tariff = rating.urdb_to_tariff(rate_obj)
    usage = rating.IntervalUsage(
        epoch=YEAR_START_EPOCH + 3600 * np.arange(8760), values=load, interval_minutes=60, tz="UTC"
    )
    bills = rating.rate_many(tariff, usage, PERIODS)[0]
    for month, (bill, ref) in enumerate(zip(bills, sam, strict=True)):
        where = f"{rate_obj['label']} month {month + 1}"
        assert bill.total == sum((line.amount for line in bill.lines), start=bill.total * 0), where
        # energy, line by line
        seen = set()
        for line in bill.lines:
            if line.kind != "energy":
                continue
            key = (_period_index(line), line.block)
            seen.add(key)
            assert abs(float(line.amount) - ref["energy_tp"][key]) <= HALF_CENT + 1e-4, (where, line, ref["energy_tp"][key])
        for key, value in ref["energy_tp"].items():
            if key not in seen:
                assert abs(value) < HALF_CENT, (where, key, value)
        kinds: dict[str, list[float]] = {}
        for line in bill.lines:
            kinds.setdefault(line.kind, []).append(float(line.amount))
        pairs = {
            "energy": ref["energy"],
            "demand": ref["demand_flat"] + ref["demand_tou"],
            "fixed": ref["fixed"],
            "minimum": ref["minimum"],
        }
        for kind, sam_value in pairs.items():
            ours = kinds.get(kind, [])
            # the minimum line makes up the rest of the minimum, so it carries
            # the other lines' rounding
            n = len(bill.lines) if kind == "minimum" else max(1, len(ours))
            assert abs(sum(ours) - sam_value) <= HALF_CENT * n, (where, kind, sum(ours), sam_value)
        if ref["minimum"] > 0:
            # a binding minimum: the bill is exactly the minimum in both
            assert float(bill.total) == pytest.approx(ref["total"], abs=1e-6), where
        assert abs(float(bill.total) - ref["total"]) <= HALF_CENT * max(1, len(bill.lines)), (
            where,
            bill.total,
            ref["total"],
        )


def test_family_covers_the_features():
    units = {r["energyratestructure"][0][0]["unit"] for r in FAMILY}
    assert units == {"kWh", "kWh daily", "kWh/kW"}
    assert any(len(r["energyratestructure"]) == 3 for r in FAMILY)
    assert any(len(r["energyratestructure"][0]) == 3 for r in FAMILY)
    assert sum("demandratestructure" in r for r in FAMILY) >= 10
    assert sum("flatdemandstructure" in r for r in FAMILY) >= 10
    assert sum("mincharge" in r for r in FAMILY) >= 10
    assert sum(any(len(p) > 1 for p in r.get("demandratestructure", [])) for r in FAMILY) >= 3


@pytest.mark.parametrize("k", [1, 4, 9, 17, 26])
def test_15_minute_loads_agree_with_pysam(k):
    # SAM takes a 35,040-step year of 15-minute kW; demand is the highest 15-minute kW
    rate_obj = FAMILY[k]
    rng = np.random.default_rng(1000 + k)
    kwh = np.round(np.repeat(hourly_load(k), 4) / 4 * rng.uniform(0.5, 1.5, 35040), 4)
    sam = pysam_monthly(rate_obj, kwh * 4)
    tariff = rating.urdb_to_tariff(rate_obj)
    usage = rating.IntervalUsage(
        epoch=YEAR_START_EPOCH + 900 * np.arange(35040), values=kwh, interval_minutes=15, tz="UTC"
    )
    bills = rating.rate_many(tariff, usage, PERIODS)[0]
    for month, (bill, ref) in enumerate(zip(bills, sam, strict=True)):
        n = max(1, len(bill.lines))
        assert abs(float(bill.total) - ref["total"]) <= HALF_CENT * n, (rate_obj["label"], month + 1)
        demand = sum(float(line.amount) for line in bill.lines if line.kind == "demand")
        n_demand = max(1, sum(line.kind == "demand" for line in bill.lines))
        assert abs(demand - ref["demand_flat"] - ref["demand_tou"]) <= HALF_CENT * n_demand
