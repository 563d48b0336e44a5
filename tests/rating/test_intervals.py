"""Interval rating: DST, holidays, TOU windows, demand intervals, ratchets, riders, vectorization."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pytest

from ratepayer import rating
from ratepayer.kernel.periods import Period
from ratepayer.rating.calendar import LocalCalendar, TimestampError, local_to_epoch

TZ = "America/Los_Angeles"


def local_axis(start: datetime, end: datetime, minutes: int) -> np.ndarray:
    """Interval starts from start (local) to end (local, exclusive), as UTC epoch, DST-aware."""
    from zoneinfo import ZoneInfo

    zi = ZoneInfo(TZ)
    t0 = int(start.replace(tzinfo=zi).timestamp())
    t1 = int(end.replace(tzinfo=zi).timestamp())
    return np.arange(t0, t1, minutes * 60, dtype=np.int64)


def tou_tariff(**extra):
    doc = {
        "id": "tou-test", "name": "TOU test", "tou_periods": [
            {"name": "peak", "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "07:00",
                                          "end": "11:00"}]},
            {"name": "off", "otherwise": True},
        ],
        "versions": [{"effective": "2020-01-01", "components": [
            {"type": "energy", "name": "energy", "tou": {"peak": [{"rate": "0.20"}], "off": [{"rate": "0.10"}]}},
        ]}],
    }
    doc.update(extra)
    return rating.parse_tariff(doc)


def test_dst_days_have_23_and_25_hours():
    spring = local_axis(datetime(2025, 3, 9), datetime(2025, 3, 10), 15)
    fall = local_axis(datetime(2025, 11, 2), datetime(2025, 11, 3), 15)
    assert len(spring) == 92 and len(fall) == 100
    tariff = tou_tariff()
    for axis, hours in ((spring, 23), (fall, 25)):
        day = LocalCalendar.build(axis, TZ).day
        d = date(1970, 1, 1) + timedelta(days=int(day[0]))
        usage = rating.IntervalUsage(epoch=axis, values=np.full(len(axis), 0.25), interval_minutes=15, tz=TZ)
        bill = rating.rate(tariff, usage, Period(d, d))
        assert sum(line.quantity for line in bill.lines) == hours * 1  # 1 kWh per hour


def test_naive_wall_clock_times_are_converted_with_dst():
    times = [datetime(2025, 11, 2, 0, 0) + timedelta(minutes=30 * i) for i in range(6)]
    # 00:00, 00:30, 01:00, 01:30, 02:00, 02:30 -> but the fall-back hour repeats 01:00/01:30
    repeated = times[:4] + [datetime(2025, 11, 2, 1, 0), datetime(2025, 11, 2, 1, 30)] + times[4:]
    epoch = local_to_epoch(repeated, TZ)
    assert np.all(np.diff(epoch) == 1800)
    with pytest.raises(TimestampError, match="does not exist"):
        local_to_epoch([datetime(2025, 3, 9, 2, 30)], TZ)


def test_monday_to_saturday_window_and_holidays():
    # Week of Mon 2025-05-26 (Memorial Day) .. Sun 2025-06-01, 1 kWh each hour.
    axis = local_axis(datetime(2025, 5, 26), datetime(2025, 6, 2), 60)
    usage = rating.IntervalUsage(epoch=axis, values=np.ones(len(axis)), interval_minutes=60, tz=TZ)
    period = Period(date(2025, 5, 26), date(2025, 6, 1))
    # no holiday calendar: Mon-Sat 6 days x 4 h = 24 kWh peak
    bill = rating.rate(tou_tariff(), usage, period)
    peak = [line for line in bill.lines if line.tou == "peak"][0]
    assert peak.quantity == 24 and peak.amount == D("4.80")
    # with US holidays: Memorial Day is off-peak -> 20 kWh peak
    bill = rating.rate(tou_tariff(holidays={"country": "US"}), usage, period)
    peak = [line for line in bill.lines if line.tou == "peak"][0]
    assert peak.quantity == 20
    # a utility's own holiday list
    bill = rating.rate(tou_tariff(holidays={"country": None, "dates": ["2025-05-31"]}), usage, period)
    assert [line for line in bill.lines if line.tou == "peak"][0].quantity == 20


def test_tou_periods_must_cover_every_interval_once():
    doc = {"id": "gap", "name": "Gap", "tou_periods": [
        {"name": "peak", "windows": [{"days": ["weekday"], "start": "07:00", "end": "11:00"}]},
        {"name": "night", "windows": [{"days": ["everyday"], "start": "00:00", "end": "06:00"}]}],
        "versions": [{"effective": "2020-01-01", "components": [
            {"type": "energy", "name": "e", "tou": {"peak": [{"rate": 1}], "night": [{"rate": 1}]}}]}]}
    tariff = rating.parse_tariff(doc)
    axis = local_axis(datetime(2025, 1, 1), datetime(2025, 1, 2), 60)
    usage = rating.IntervalUsage(epoch=axis, values=np.ones(24), interval_minutes=60, tz=TZ)
    with pytest.raises(rating.RatingError, match="is in none of the TOU periods"):
        rating.rate(tariff, usage, Period(date(2025, 1, 1), date(2025, 1, 1)))


def test_missing_intervals_are_refused():
    axis = local_axis(datetime(2025, 1, 1), datetime(2025, 1, 3), 60)
    values = np.ones(len(axis))
    usage = rating.IntervalUsage(epoch=np.delete(axis, 30), values=np.delete(values, 30), interval_minutes=60, tz=TZ)
    with pytest.raises(rating.RatingError, match="gaps"):
        rating.rate(tou_tariff(), usage, Period(date(2025, 1, 1), date(2025, 1, 2)))
    usage = rating.IntervalUsage(epoch=axis, values=np.where(np.arange(48) == 5, np.nan, 1.0), interval_minutes=60,
                                 tz=TZ)
    with pytest.raises(rating.RatingError, match="missing interval values"):
        rating.rate(tou_tariff(), usage, Period(date(2025, 1, 1), date(2025, 1, 2)))


def demand_tariff(**demand):
    comp = {"type": "demand", "name": "demand", "blocks": [{"rate": "10.00"}]}
    comp.update(demand)
    return rating.parse_tariff({"id": "demand-test", "name": "Demand", "versions": [
        {"effective": "2020-01-01", "components": [comp]}]})


def test_demand_from_15_minute_data_and_30_and_60_minute_windows():
    axis = local_axis(datetime(2025, 1, 1), datetime(2025, 1, 2), 15)
    kwh = np.full(96, 2.5)  # 10 kW
    kwh[40] = 10.0  # one 15-minute interval at 40 kW (10:00-10:15)
    usage = rating.IntervalUsage(epoch=axis, values=kwh, interval_minutes=15, tz=TZ)
    day = Period(date(2025, 1, 1), date(2025, 1, 1))
    # 15-min demand 40 kW; 30-min (10:00-10:30) (10 + 2.5) kWh / 0.5 h = 25 kW; 60-min (10+7.5)/1 = 17.5 kW
    assert rating.rate(demand_tariff(), usage, day).lines[0].quantity == 40
    assert rating.rate(demand_tariff(interval_minutes=30), usage, day).lines[0].quantity == 25
    assert rating.rate(demand_tariff(interval_minutes=60), usage, day).lines[0].quantity == D("17.5")
    with pytest.raises(rating.RatingError, match="cannot be built"):
        hourly = rating.IntervalUsage(epoch=axis[::4], values=kwh[::4], interval_minutes=60, tz=TZ)
        rating.rate(demand_tariff(interval_minutes=15), hourly, day)


def test_demand_register_values_from_the_load_are_used_when_given():
    axis = local_axis(datetime(2025, 1, 1), datetime(2025, 1, 2), 60)
    usage = rating.IntervalUsage(epoch=axis, values=np.ones(24), interval_minutes=60, tz=TZ,
                                 demand_kw=np.where(np.arange(24) == 9, 7.5, 1.0))
    bill = rating.rate(demand_tariff(), usage, Period(date(2025, 1, 1), date(2025, 1, 1)))
    assert bill.lines[0].quantity == D("7.5")


def test_ratchet_uses_a_percent_of_the_highest_recent_demand():
    # measured 40 kW; history 30, 120, 90 kW (oldest first); 80 % ratchet over 2 months -> max(120, 90) x 0.8 = 96
    tariff = demand_tariff(ratchet={"percent": 80, "months": 2})
    usage = rating.RegisterUsage(D("1000"), demand_kw=D("40"))
    service = rating.ServiceInfo(demand_history_kw=(D("30"), D("120"), D("90")))
    bill = rating.rate(tariff, usage, Period(date(2025, 1, 1), date(2025, 1, 31)), service=service)
    assert bill.lines[0].quantity == 96 and bill.total == D("960.00")
    service = rating.ServiceInfo(demand_history_kw=(D("200"), D("20"), D("30")))  # 200 is 3 months back
    bill = rating.rate(tariff, usage, Period(date(2025, 1, 1), date(2025, 1, 31)), service=service)
    assert bill.lines[0].quantity == 40


def test_riders_taxes_and_credits():
    # energy 1,000 kWh x 0.10 = 100.00; conservation rider 0.002/kWh = 2.00;
    # low-income credit 1.07/month (credit) = -1.07; utility tax 3.8734 % of energy + rider
    # (102.00 x 0.038734 = 3.950868 -> 3.95); city tax 5 % of the bill (100 + 2 - 1.07 + 3.95 = 104.88 -> 5.244 -> 5.24)
    tariff = rating.parse_tariff({"id": "riders", "name": "Riders", "versions": [{"effective": "2020-01-01",
        "components": [
            {"type": "energy", "name": "energy", "blocks": [{"rate": "0.10"}]},
            {"type": "fixed", "name": "ceta", "kind": "credit", "amount": "1.07", "per": "month"},
            {"type": "rider", "name": "conservation", "per_unit": "0.002"},
            {"type": "rider", "name": "utility_tax", "kind": "tax", "percent": "3.8734", "of": ["energy", "rider"]},
            {"type": "rider", "name": "city_tax", "kind": "tax", "percent": "5"},
        ]}]})
    bill = rating.rate(tariff, rating.RegisterUsage(D("1000")), Period(date(2025, 1, 1), date(2025, 1, 31)))
    assert [(line.kind, str(line.amount)) for line in bill.lines] == [
        ("energy", "100.00"), ("credit", "-1.07"), ("rider", "2.00"), ("tax", "3.95"), ("tax", "5.24")]
    assert bill.total == D("110.12")


def test_many_meters_at_once_equal_one_at_a_time():
    tariff = rating.load_tariff("snopud_schedule_24.yaml")
    axis = local_axis(datetime(2025, 3, 1), datetime(2025, 5, 1), 15)
    rng = np.random.default_rng(7)
    values = np.round(rng.gamma(3, 40, (7, len(axis))), 3)
    services = [rating.ServiceInfo(connected_load_kw=D(str(500 + 100 * i))) for i in range(7)]
    periods = [Period(date(2025, 3, 1), date(2025, 3, 31)), Period(date(2025, 4, 1), date(2025, 4, 30))]
    usage = rating.IntervalUsage(epoch=axis, values=values, interval_minutes=15, tz=TZ)
    batches = rating.rate_intervals(tariff, usage, periods, services=services, chunk_meters=3)
    for i in range(7):
        one = rating.IntervalUsage(epoch=axis, values=values[i], interval_minutes=15, tz=TZ)
        for p, batch in zip(periods, batches, strict=True):
            assert rating.rate(tariff, one, p, service=services[i]) == batch.bill(i)


def test_interval_bill_spanning_a_rate_change_uses_actual_usage_in_each_part():
    tariff = rating.load_tariff("snopud_schedule_7.yaml")
    axis = local_axis(datetime(2024, 3, 15), datetime(2024, 4, 15), 60)
    day = LocalCalendar.build(axis, TZ).day
    first = day < (date(2024, 4, 1) - date(1970, 1, 1)).days
    values = np.where(first, 2.0, 1.0)  # 2 kWh/h before April, 1 kWh/h after
    usage = rating.IntervalUsage(epoch=axis, values=values, interval_minutes=60, tz=TZ)
    bill = rating.rate(tariff, usage, Period(date(2024, 3, 15), date(2024, 4, 14)),
                       service=rating.ServiceInfo(size_class="medium"))
    energy = [line for line in bill.lines if line.kind == "energy"]
    # Mar 15-31: 17 days x 24 h x 2 = 816 kWh (DST already started Mar 10); Apr 1-14: 336 kWh
    assert [line.quantity for line in energy] == [816, 336]
    assert [line.rate for line in energy] == [D("0.09822"), D("0.09527")]


def test_seasons_by_date_range_split_register_usage_by_days():
    # summer 06-15..09-15; June 2024 (30 days): Jun 1-14 winter (14 days), Jun 15-30 summer (16 days)
    # 300 kWh -> 140 kWh x 0.10 = 14.00 + 160 kWh x 0.20 = 32.00 ; total 46.00
    tariff = rating.parse_tariff({"id": "seasons", "name": "Date-range seasons",
        "seasons": [{"name": "summer", "start": "06-15", "end": "09-15"},
                    {"name": "winter", "start": "09-16", "end": "06-14"}],
        "versions": [{"effective": "2020-01-01", "components": [
            {"type": "energy", "name": "summer", "season": "summer", "blocks": [{"rate": "0.20"}]},
            {"type": "energy", "name": "winter", "season": "winter", "blocks": [{"rate": "0.10"}]}]}]})
    bill = rating.rate(tariff, rating.RegisterUsage(D("300")), Period(date(2024, 6, 1), date(2024, 6, 30)))
    assert [(line.component, line.quantity, str(line.amount)) for line in bill.lines] == [
        ("winter", 140, "14.00"), ("summer", 160, "32.00")]
    assert bill.total == D("46.00")


def test_monthly_charge_on_a_bimonthly_bill_is_two_months_in_one_line():
    # Clark: $19/month over May-June 2024 = 2 months x 19.00 = 38.00; 1,200 kWh x 0.0879 = 105.48
    tariff = rating.load_tariff("clark_public_utilities_residential_2024.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("1200")), Period(date(2024, 5, 1), date(2024, 6, 30)))
    assert [(line.quantity, str(line.amount)) for line in bill.lines] == [(2, "38.00"), (1200, "105.48")]


def test_window_that_splits_intervals_is_refused():
    doc = {"id": "half", "name": "Half-hour window", "tou_periods": [
        {"name": "peak", "windows": [{"days": ["everyday"], "start": "07:30", "end": "11:00"}]},
        {"name": "off", "otherwise": True}],
        "versions": [{"effective": "2020-01-01", "components": [
            {"type": "energy", "name": "e", "tou": {"peak": [{"rate": 1}], "off": [{"rate": 1}]}}]}]}
    tariff = rating.parse_tariff(doc)
    axis = local_axis(datetime(2025, 1, 1), datetime(2025, 1, 2), 60)
    usage = rating.IntervalUsage(epoch=axis, values=np.ones(24), interval_minutes=60, tz=TZ)
    with pytest.raises(rating.RatingError, match="07:30-11:00 that splits 60-minute intervals"):
        rating.rate(tariff, usage, Period(date(2025, 1, 1), date(2025, 1, 1)))
    quarter = rating.IntervalUsage(epoch=local_axis(datetime(2025, 1, 1), datetime(2025, 1, 2), 15),
                                   values=np.full(96, 0.25), interval_minutes=15, tz=TZ)
    assert rating.rate(tariff, quarter, Period(date(2025, 1, 1), date(2025, 1, 1))).total == D("24.00")
