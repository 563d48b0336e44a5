"""URDB import: structure, units, decisions and precise errors."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal as D

import pytest

from ratepayer import rating
from ratepayer.kernel.periods import Period

FLAT = [[0] * 24] * 12
TOU_WD = [[0] * 16 + [1] * 5 + [0] * 3] * 12

RATE = {
    "label": "5b0d8a5e5457a3f276fb1d6f", "name": "Example TOU", "utility": "Example Utility",
    "fixedchargefirstmeter": 0.5, "fixedchargeunits": "$/day",
    "energyratestructure": [[{"max": 10, "unit": "kWh daily", "rate": 0.1}, {"rate": 0.15, "unit": "kWh daily"}],
                            [{"max": 10, "unit": "kWh daily", "rate": 0.2}, {"rate": 0.3, "unit": "kWh daily"}]],
    "energyweekdayschedule": TOU_WD, "energyweekendschedule": FLAT,
    "flatdemandstructure": [[{"rate": 4.0}], [{"rate": 6.0}]],
    "flatdemandmonths": [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0],
    "demandratestructure": [[{"rate": 0}], [{"rate": 7.5}]],
    "demandweekdayschedule": TOU_WD, "demandweekendschedule": FLAT,
    "mincharge": 1.0, "minchargeunits": "$/day",
    "startdate": 1546300800,
}


def test_import_builds_tou_periods_components_and_windows():
    doc = rating.urdb_to_document(RATE)
    names = [p["name"] for p in doc["tou_periods"]]
    assert names == ["energy_0", "energy_1", "demand_0", "demand_1"]
    peak = doc["tou_periods"][1]
    assert peak["windows"] == [{"days": ["weekday"], "months": list(range(1, 13)), "start": "16:00", "end": "21:00"}]
    kinds = [(c["type"], c["name"]) for c in doc["versions"][0]["components"]]
    assert kinds == [("fixed", "fixed"), ("energy", "energy"), ("demand", "demand_flat_0"), ("demand", "demand_flat_1"),
                     ("demand", "demand_tou_0"), ("demand", "demand_tou_1"), ("minimum", "minimum")]
    energy = doc["versions"][0]["components"][1]
    assert energy["block_limit_per"] == "day" and energy["tier_basis"] == "total"
    assert doc["versions"][0]["note"] == "URDB startdate 2019-01-01"
    tariff = rating.urdb_to_tariff(RATE)
    assert tariff.id == "urdb-5b0d8a5e5457a3f276fb1d6f"


def test_dollars_per_day_and_daily_tiers_use_actual_days():
    # February 2025 (28 days) register usage split by TOU registers: 200 kWh peak, 400 kWh off-peak.
    # fixed 0.50 x 28 = 14.00; tier limit 10 kWh/day x 28 = 280 kWh of the 600 total, shared by use:
    #   off-peak tier 1: 280 x 400/600 = 186.6667, tier 2: 213.3333 ; peak tier 1: 93.3333, tier 2: 106.6667
    tariff = rating.urdb_to_tariff({k: v for k, v in RATE.items() if "demand" not in k and k != "mincharge"})
    usage = rating.RegisterUsage(D("600"), tou_quantity={"energy_0": D("400"), "energy_1": D("200")})
    bill = rating.rate(tariff, usage, Period(date(2025, 2, 1), date(2025, 2, 28)))
    by = {(line.tou, line.block): line for line in bill.lines if line.kind == "energy"}
    assert bill.lines[0].quantity == 28 and bill.lines[0].amount == D("14.00")
    assert sum(line.quantity for line in by.values()) == 600
    assert by[("energy_0", 0)].quantity + by[("energy_1", 0)].quantity == 280
    assert by[("energy_0", 0)].quantity == D("186.6667")
    assert by[("energy_1", 0)].quantity == D("93.3333")


def test_tier_basis_period_applies_each_periods_tiers_to_its_own_use():
    tariff = rating.urdb_to_tariff({k: v for k, v in RATE.items() if "demand" not in k}, tier_basis="period")
    usage = rating.RegisterUsage(D("600"), tou_quantity={"energy_0": D("400"), "energy_1": D("200")})
    bill = rating.rate(tariff, usage, Period(date(2025, 2, 1), date(2025, 2, 28)))
    by = {(line.tou, line.block): line.quantity for line in bill.lines if line.kind == "energy"}
    assert by[("energy_0", 0)] == 280 and by[("energy_0", 1)] == 120 and by[("energy_1", 0)] == 200


@pytest.mark.parametrize(
    "change,field,reason",
    [
        ({"energyweekdayschedule": [[0] * 24] * 11}, "energyweekdayschedule", "12 rows"),
        ({"energyweekdayschedule": [[0] * 24] * 11 + [[0] * 23 + [5]]}, "energyweekdayschedule.11.23", "0..1"),
        ({"energyratestructure": [[{"rate": 0.123456789}], [{"rate": 0.1}]]}, "energyratestructure.0.0.rate",
         "more than 8"),
        ({"energyratestructure": [[{"rate": 0.05, "adj": -0.06}], [{"rate": 0.1}]]},
         "energyratestructure.0.0.rate", "is negative"),
        ({"energyratestructure": [[{"rate": 0.1}, {"rate": 0.2}], [{"rate": 0.1}]]}, "energyratestructure.0.0.max",
         "only the last tier"),
        ({"demandunits": "hp"}, "demandunits", "kW only"),
        ({"fixedchargeunits": "$/fortnight"}, "fixedchargeunits", "unknown units"),
        ({"minchargeunits": "$/year"}, "minchargeunits", "annual"),
        ({"coincidentratestructure": [[{"rate": 1}]]}, "coincidentratestructure", "not supported"),
        ({"energyratestructure": [[{"max": 10, "rate": 0.1}, {"rate": 0.2}], [{"max": 20, "rate": 0.1},
                                                                               {"rate": 0.2}]]},
         "energyratestructure", "tier_basis='period'"),
    ],
)
def test_invalid_urdb_records_name_the_field(change, field, reason):
    rate_obj = copy.deepcopy(RATE)
    rate_obj.update(change)
    with pytest.raises(rating.UrdbError) as info:
        rating.urdb_to_tariff(rate_obj)
    assert info.value.field == field
    assert reason in str(info.value)


def test_api_response_with_items():
    assert rating.is_urdb({"items": [RATE]})
    from ratepayer.rating.urdb import pick_rate

    assert pick_rate({"items": [RATE]})["label"] == RATE["label"]
    with pytest.raises(rating.UrdbError, match="choose one by label"):
        pick_rate({"items": [RATE, dict(RATE, label="other")]})
    assert pick_rate({"items": [RATE, dict(RATE, label="other")]}, "other")["label"] == "other"


def test_energy_tou_labels_name_the_lines():
    rate_obj = {k: v for k, v in RATE.items() if "demand" not in k and k != "mincharge"}
    rate_obj["energytoulabels"] = ["Off-Peak", "On-Peak"]
    tariff = rating.urdb_to_tariff(rate_obj)
    usage = rating.RegisterUsage(D("30"), tou_quantity={"energy_0": D("20"), "energy_1": D("10")})
    bill = rating.rate(tariff, usage, Period(date(2025, 2, 1), date(2025, 2, 1)))
    assert [line.description for line in bill.lines if line.kind == "energy"][:2] == [
        "Energy, Off-Peak, first 10 kWh/day", "Energy, On-Peak, first 10 kWh/day"]
