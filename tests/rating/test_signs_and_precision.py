"""Signs and precision: credits are their own kind, nothing else is negative;
rates of up to 8 places; a volume charge by meter size.

Expected amounts are computed by hand in the comments (DESIGN section 6:
each line is quantity x rate rounded half-up to the cent, once).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import numpy as np
import pytest

from ratepayer import rating
from ratepayer.kernel.periods import Period

JANUARY = Period(date(2025, 1, 1), date(2025, 1, 31))


def lines(bill):
    return [(line.kind, format(line.quantity.normalize(), "f"), str(line.amount)) for line in bill.lines]


def tariff(*components):
    return rating.parse_tariff({"id": "signs", "name": "Signs",
                                "versions": [{"effective": "2020-01-01", "components": list(components)}]})


ENERGY = {"type": "energy", "name": "energy", "blocks": [{"rate": "0.10"}]}


@pytest.mark.parametrize("component,field", [
    ({"type": "fixed", "name": "base", "amount": "-5.00", "per": "month"}, "versions.0.components.0.amount"),
    ({"type": "fixed", "name": "base", "amounts_by": "size_class", "amounts": {"small": "1", "large": "-1"},
      "per": "month"}, "versions.0.components.0.amounts.large"),
    ({"type": "rider", "name": "rider", "per_unit": "-0.001"}, "versions.0.components.0.per_unit"),
    ({"type": "rider", "name": "tax", "kind": "tax", "percent": "-3.8734"}, "versions.0.components.0.percent"),
    ({"type": "minimum", "name": "minimum", "amount": "-20", "per": "bill"}, "versions.0.components.0.amount"),
    ({"type": "minimum", "name": "minimum", "amount": "20", "connected_load": {"rate": "-0.02", "over_kw": 10}},
     "versions.0.components.0.connected_load.rate"),
])
def test_a_negative_amount_is_refused_with_its_field_named(component, field):
    # before: a negative fixed or rider amount was billed as a positive charge (abs), a negative
    # minimum silently removed the minimum
    with pytest.raises(rating.TariffError) as info:
        tariff(component)
    assert info.value.field == field
    assert "is negative" in str(info.value) and "kind: credit" in str(info.value)


def test_a_credit_is_its_own_kind_and_is_subtracted():
    # $10.00 monthly charge, a $2.50 monthly credit, 100 kWh x 0.10 = 10.00, a 1% credit of the bill so far:
    #   fixed 10.00 ; credit -2.50 ; energy 10.00 ; 1% x (10.00 - 2.50 + 10.00 = 17.50) = 0.175 -> credit -0.18
    #   total = 10.00 - 2.50 + 10.00 - 0.18 = 17.32
    t = tariff({"type": "fixed", "name": "base", "amount": "10.00", "per": "month"},
               {"type": "fixed", "name": "low_income", "kind": "credit", "amount": "2.50", "per": "month"},
               ENERGY,
               {"type": "rider", "name": "conservation", "kind": "credit", "percent": "1"})
    bill = rating.rate(t, rating.RegisterUsage(D("100")), JANUARY)
    assert lines(bill) == [("fixed", "1", "10.00"), ("credit", "1", "-2.50"), ("energy", "100", "10.00"),
                           ("credit", "17.5", "-0.18")]
    assert bill.total == D("17.32")


def test_negative_usage_is_refused():
    t = tariff(ENERGY)
    with pytest.raises(rating.RatingError, match=r"usage \(kWh\) -5 is negative"):
        rating.rate(t, rating.RegisterUsage(D("-5")), JANUARY)
    with pytest.raises(rating.RatingError, match=r"demand \(kW\) -1 is negative"):
        rating.RegisterUsage(D("5"), demand_kw=D("-1"))
    values = np.ones(31 * 24)
    values[40] = -0.5
    epoch = np.datetime64("2025-01-01T08:00:00", "s").astype(np.int64) + 3600 * np.arange(31 * 24)
    with pytest.raises(rating.RatingError, match=r"meter 0, interval 40: usage -0.5 is negative"):
        rating.IntervalUsage(epoch=epoch, values=values, interval_minutes=60, tz="America/Los_Angeles")


def test_lake_stevens_commercial_sewer_rate_of_eight_places():
    # Lake Stevens commercial: $86.00 for the first 750 cf + $0.11466666 per cf over 750 (May 2024, 2,000 cf):
    #   sewer 86.00 ; first 750 cf x 0 = 0.00 ; 1,250 cf x 0.11466666 = 143.333325 -> 143.33
    #   total = 229.33   (before: the document was refused, "more than 6 decimal places")
    t = rating.load_tariff("lake_stevens_sewer_commercial.yaml")
    bill = rating.rate(t, rating.RegisterUsage(D("2000"), unit="cf"), Period(date(2024, 5, 1), date(2024, 5, 31)))
    assert lines(bill) == [("fixed", "1", "86.00"), ("energy", "750", "0.00"), ("energy", "1250", "143.33")]
    assert bill.lines[2].rate == D("0.11466666")
    assert bill.lines[2].as_dict()["rate"] == "0.11466666"
    assert bill.total == D("229.33")
    # the same usage in CCF converts exactly: 20 CCF = 2,000 cf
    assert rating.rate(t, rating.RegisterUsage(D("20"), unit="CCF"), bill.period).total == D("229.33")


def test_union_gap_volume_charge_depends_on_the_meter_size():
    # Union Gap 2024, January, 12 CCF of water:
    #   1" meter:   ready-to-serve 55.51 ; volume 12 x 3.38 = 40.56 ; total 96.07
    #   3/4" meter: ready-to-serve 59.06 ; no volume rate on 3/4" meters ; total 59.06
    t = rating.load_tariff("union_gap_sewer.yaml")
    usage = rating.RegisterUsage(D("12"), unit="CCF")
    one_inch = rating.rate(t, usage, JANUARY.__class__(date(2024, 1, 1), date(2024, 1, 31)),
                           service=rating.ServiceInfo(meter_size="1"))
    assert lines(one_inch) == [("fixed", "1", "55.51"), ("energy", "12", "40.56")]
    assert one_inch.total == D("96.07")
    three_quarter = rating.rate(t, usage, Period(date(2024, 1, 1), date(2024, 1, 31)),
                                service=rating.ServiceInfo(meter_size="3/4"))
    assert lines(three_quarter) == [("fixed", "1", "59.06")]
    assert three_quarter.total == D("59.06")
    # both in one batch, as the bill run rates them
    batch = rating.rate_registers(t, [usage, usage], Period(date(2024, 1, 1), date(2024, 1, 31)),
                                  services=[rating.ServiceInfo(meter_size="1"), rating.ServiceInfo(meter_size="3/4")])
    assert batch.totals() == [D("96.07"), D("59.06")]
    with pytest.raises(rating.RatingError, match=r"meter_size '5/8'.*known"):
        rating.rate(t, usage, Period(date(2024, 1, 1), date(2024, 1, 31)), service=rating.ServiceInfo(meter_size="5/8"))


def test_volume_by_meter_size_needs_the_same_block_limits():
    with pytest.raises(rating.TariffError, match="same block limits"):
        tariff({"type": "volume", "name": "v", "unit": "CCF", "blocks_by": "meter_size",
                "blocks_for": {"1": [{"upto": 5, "rate": 1}, {"rate": 2}], "2": [{"rate": 1}]}})
