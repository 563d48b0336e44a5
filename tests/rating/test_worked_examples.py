"""Worked examples: real Washington tariffs, bills computed by hand.

Every expected amount below is computed in the comments, line by line, with
each line rounded to the cent half-up (DESIGN section 6).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pytest

from ratepayer import rating
from ratepayer.kernel.periods import Period
from ratepayer.rating.calendar import local_to_epoch


def lines(bill):
    return [(line.kind, format(line.quantity.normalize(), "f"), str(line.amount)) for line in bill.lines]


def amounts(bill):
    return [str(line.amount) for line in bill.lines]


# ---------------------------------------------------------------- residential daily base + kWh


def test_snopud_7_daily_base_plus_energy():
    # Schedule 7, version of 2024-04-01, medium size class, January 2025 (31 days), 1,000 kWh:
    #   base    0.29 $/day x 31 days      =  8.99
    #   energy  1,000 kWh x 0.09527        = 95.27
    #   minimum 0.53 x 31 = 16.43 < 104.26 -> no minimum line
    #   total                              = 104.26
    tariff = rating.load_tariff("snopud_schedule_7.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("1000")), Period(date(2025, 1, 1), date(2025, 1, 31)),
                       service=rating.ServiceInfo(size_class="medium"))
    assert lines(bill) == [("fixed", "31", "8.99"), ("energy", "1000", "95.27")]
    assert bill.total == D("104.26")


def test_snopud_7_minimum_bill_applies():
    # Same month, 50 kWh: base 8.99 + energy 50 x 0.09527 = 4.7635 -> 4.76; regular = 13.75
    # minimum 0.53 x 31 = 16.43 -> minimum line 16.43 - 13.75 = 2.68; total 16.43
    tariff = rating.load_tariff("snopud_schedule_7.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("50")), Period(date(2025, 1, 1), date(2025, 1, 31)),
                       service=rating.ServiceInfo(size_class="medium"))
    assert amounts(bill) == ["8.99", "4.76", "2.68"]
    assert bill.lines[-1].kind == "minimum"
    assert bill.total == D("16.43")


def test_snopud_7_2017_greater_of_energy_or_daily_minimum():
    # 2017 version: greater of 10.414 c/kWh or 53 c/day. June 2019 (30 days), 120 kWh:
    # energy 120 x 0.10414 = 12.4968 -> 12.50; minimum 0.53 x 30 = 15.90 -> +3.40; total 15.90
    tariff = rating.load_tariff("snopud_schedule_7.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("120")), Period(date(2019, 6, 1), date(2019, 6, 30)))
    assert amounts(bill) == ["12.50", "3.40"]
    assert bill.total == D("15.90")


def test_clark_monthly_basic_charge():
    # Clark PUD residential 2024: $19/month + 1,000 kWh x 0.0879 = 87.90 -> total 106.90 (April 2024)
    tariff = rating.load_tariff("clark_public_utilities_residential_2024.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("1000")), Period(date(2024, 4, 1), date(2024, 4, 30)))
    assert amounts(bill) == ["19.00", "87.90"]
    assert bill.total == D("106.90")


# ---------------------------------------------------------------- Schedule 24


def _schedule_24_march_2025_load():
    """15-minute kW for March 2025 (local, includes the DST change on Mar 9):
    300 kW always, 500 kW 07:00-11:00 Mon-Sat, plus two spikes outside the
    demand window: Sun Mar 16 09:00 900 kW and Mon Mar 17 12:00 800 kW."""
    start = datetime(2025, 3, 1)
    times = []
    t = start
    while t < datetime(2025, 4, 1):
        times.append(t)
        t += timedelta(minutes=15)
    # remove the wall-clock times skipped by DST (02:00-02:45 on Mar 9)
    times = [t for t in times if not (t.date() == date(2025, 3, 9) and t.hour == 2)]
    kw = []
    for t in times:
        value = 300
        if t.weekday() < 6 and 7 <= t.hour < 11:
            value = 500
        if t == datetime(2025, 3, 16, 9, 0):
            value = 900
        if t == datetime(2025, 3, 17, 12, 0):
            value = 800
        kw.append(value)
    epoch = local_to_epoch(times, "America/Los_Angeles")
    kwh = np.array(kw, dtype=float) / 4
    return rating.IntervalUsage(epoch=epoch, values=kwh, interval_minutes=15, tz="America/Los_Angeles")


def test_snopud_24_interval_bill_with_demand_window_blocks_and_dst():
    # March 2025 has 743 local hours (DST starts Mar 9). Mon-Sat days: 31 - 5 Sundays = 26;
    # window hours 26 x 4 = 104 h at 500 kW; other hours 743 - 104 = 639 h at 300 kW;
    # spikes add (900-300)/4 = 150 kWh and (800-300)/4 = 125 kWh.
    # energy = 104 x 500 + 639 x 300 + 150 + 125 = 52,000 + 191,700 + 275 = 243,975 kWh
    #   customer  0.37 x 31 days                     =     11.47
    #   demand    max in 07-11 Mon-Sat = 500 kW (the 900 and 800 kW spikes are outside it)
    #             first 100 kW x 0                   =      0.00
    #             next 400 kW x 8.47                 =  3,388.00
    #   energy    30,000 x 0.0904                    =  2,712.00
    #             213,975 x 0.0698 = 14,935.455      = 14,935.46 (half-up)
    #   minimum   0.54 x 31 + (2,000 - 10) x 0.02425 x 31 = 16.74 + 1,495.98 < regular -> none
    #   total                                        = 21,046.93
    tariff = rating.load_tariff("snopud_schedule_24.yaml")
    usage = _schedule_24_march_2025_load()
    assert usage.values.shape[1] == 743 * 4
    bill = rating.rate(tariff, usage, Period(date(2025, 3, 1), date(2025, 3, 31)),
                       service=rating.ServiceInfo(connected_load_kw=D("2000")))
    assert lines(bill) == [
        ("fixed", "31", "11.47"),
        ("demand", "100", "0.00"),
        ("demand", "400", "3388.00"),
        ("energy", "30000", "2712.00"),
        ("energy", "213975", "14935.46"),
    ]
    assert bill.total == D("21046.93")


def test_snopud_24_minimum_with_connected_load():
    # Register usage, 31-day month: 1,000 kWh, window demand 50 kW (all in the free first 100 kW).
    #   customer 11.47; demand 0.00; energy 1,000 x 0.0904 = 90.40 -> regular 101.87
    #   minimum 0.54 x 31 = 16.74 + (2,000 - 10) kW x 0.02425 x 31 = 1,495.9825 -> 1,495.98
    #          = 1,512.72 -> minimum line 1,512.72 - 101.87 = 1,410.85; total 1,512.72
    tariff = rating.load_tariff("snopud_schedule_24.yaml")
    usage = rating.RegisterUsage(D("1000"), tou_demand_kw={"demand_window": D("50")})
    bill = rating.rate(tariff, usage, Period(date(2025, 1, 1), date(2025, 1, 31)),
                       service=rating.ServiceInfo(connected_load_kw=D("2000")))
    assert amounts(bill) == ["11.47", "0.00", "90.40", "1410.85"]
    assert bill.total == D("1512.72")


def test_snopud_24_gross_revenue_tax_proportional_increase():
    # A 6 % city gross revenue tax collected as a proportional increase: rate 6/94 = 0.063830 (6 places)
    # on the January register bill above without the minimum (connected load 10 kW):
    # regular 101.87; minimum 16.74 < 101.87; tax 101.87 x 0.063830 = 6.5023621 -> 6.50; total 108.37
    doc = rating.to_document(rating.load_tariff("snopud_schedule_24.yaml"))
    doc["versions"][0]["components"].append(
        {"type": "rider", "name": "city_tax", "kind": "tax", "percent": "6", "gross_up": True}
    )
    tariff = rating.parse_tariff(doc)
    usage = rating.RegisterUsage(D("1000"), tou_demand_kw={"demand_window": D("50")})
    bill = rating.rate(tariff, usage, Period(date(2025, 1, 1), date(2025, 1, 31)),
                       service=rating.ServiceInfo(connected_load_kw=D("10")))
    assert bill.lines[-1].kind == "tax"
    assert bill.lines[-1].rate == D("0.063830")
    assert amounts(bill) == ["11.47", "0.00", "90.40", "6.50"]
    assert bill.total == D("108.37")


# ---------------------------------------------------------------- seasonal daily blocks


def test_seattle_bimonthly_bill_prorates_seasonal_blocks_by_days():
    # 2024-09-01..2024-10-31 (61 days): 30 summer days (10 kWh/day first block), 31 winter (16 kWh/day).
    # 1,500 kWh shared by days (largest remainder at 0.0001 kWh):
    #   Sep 1500 x 30/61 = 737.70491.. -> 737.7049 ; Oct 762.29508.. -> 762.2951 (sum 1,500)
    #   base: the same 0.2728 $/day in both seasons, so one line: 0.2728 x 61 = 16.6408 -> 16.64
    #   Sep first 300 kWh x 0.1291 = 38.73 ; rest 437.7049 x 0.1372 = 60.0531.. -> 60.05
    #   Oct first 496 kWh x 0.1291 = 64.0336 -> 64.03 ; rest 266.2951 x 0.1372 = 36.5357.. -> 36.54
    #   total = 16.64 + 38.73 + 60.05 + 64.03 + 36.54 = 215.99
    tariff = rating.load_tariff("seattle_city_light_residential_2024.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("1500")), Period(date(2024, 9, 1), date(2024, 10, 31)))
    assert lines(bill) == [
        ("fixed", "61", "16.64"),
        ("energy", "300", "38.73"),
        ("energy", "437.7049", "60.05"),
        ("energy", "496", "64.03"),
        ("energy", "266.2951", "36.54"),
    ]
    assert bill.total == D("215.99")


def test_seattle_base_charge_is_not_split_at_the_season_change():
    # Sep 15 - Oct 15, 2024: 31 days, 16 summer (Sep 15-30) and 15 winter (Oct 1-15); 600 kWh.
    # The base charge is 0.2728 $/day in both seasons: one line, rounded once,
    #   0.2728 x 31 = 8.4568 -> 8.46   (not 0.2728 x 16 = 4.36 plus 0.2728 x 15 = 4.09 = 8.45)
    # The energy blocks do change with the season, so energy is split by days:
    #   Sep 600 x 16/31 = 309.67741.. ; Oct 290.32258.. -> largest remainder: 309.6774 + 290.3226 = 600
    #   summer first 10 x 16 = 160 kWh x 0.1291 = 20.656 -> 20.66 ; rest 149.6774 x 0.1372 = 20.5357.. -> 20.54
    #   winter first 16 x 15 = 240 kWh x 0.1291 = 30.984 -> 30.98 ; rest 50.3226 x 0.1372 = 6.9042.. -> 6.90
    #   total = 8.46 + 20.66 + 20.54 + 30.98 + 6.90 = 87.54
    tariff = rating.load_tariff("seattle_city_light_residential_2024.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("600")), Period(date(2024, 9, 15), date(2024, 10, 15)))
    assert lines(bill) == [
        ("fixed", "31", "8.46"),
        ("energy", "160", "20.66"),
        ("energy", "149.6774", "20.54"),
        ("energy", "240", "30.98"),
        ("energy", "50.3226", "6.90"),
    ]
    assert bill.lines[0].description == "Base service charge"  # the whole period: no dates
    assert "2024-09-15 to 2024-09-30" in bill.lines[1].description
    assert bill.total == D("87.54")


# ---------------------------------------------------------------- water and sewer


def test_clinton_water_tiers_and_meter_size_base():
    # Bi-monthly bill, 5/8x3/4 meter, 14,300 gallons = 14.3 thousand gallons:
    #   base 47.00 ; 4 x 2.00 = 8.00 ; 6 x 5.68 = 34.08 ; 4.3 x 7.50 = 32.25 ; total 121.33
    tariff = rating.load_tariff("clinton_water_district.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("14300"), unit="gal"),
                       Period(date(2025, 1, 1), date(2025, 2, 28)), service=rating.ServiceInfo(meter_size="5/8x3/4"))
    assert lines(bill) == [("fixed", "1", "47.00"), ("energy", "4", "8.00"), ("energy", "6", "34.08"),
                           ("energy", "4.3", "32.25")]
    assert bill.total == D("121.33")


def test_clinton_water_final_partial_bill_prorates_base_and_blocks():
    # Final bill of 30 days where a regular bill is 60 days: base 47.00 x 0.5 = 23.50;
    # block limits halved (2 / 5 / 10 thousand gal); 5,000 gal: 2 x 2.00 = 4.00 + 3 x 5.68 = 17.04
    # total 44.54
    tariff = rating.load_tariff("clinton_water_district.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("5000"), unit="gal"),
                       Period(date(2025, 3, 1), date(2025, 3, 30)), service=rating.ServiceInfo(meter_size="5/8x3/4"),
                       regular_days=60)
    assert amounts(bill) == ["23.50", "4.00", "17.04"]
    assert bill.total == D("44.54")


def test_unknown_meter_size_is_a_precise_error():
    tariff = rating.load_tariff("clinton_water_district.yaml")
    with pytest.raises(rating.RatingError, match=r"meter_size '1'.*5/8x3/4"):
        rating.rate(tariff, rating.RegisterUsage(D("1000"), unit="gal"), Period(date(2025, 1, 1), date(2025, 2, 28)),
                    service=rating.ServiceInfo(meter_size="1"))


def test_union_gap_ready_to_serve_by_meter_size_and_partial_month():
    # 1" meter, 2024: 55.51/month. Final bill Jan 1-10: 10/31 month = 0.3226 x 55.51 = 17.907.. -> 17.91,
    # plus the volume charge on its 3 CCF of water: 3 x 3.38 = 10.14
    tariff = rating.load_tariff("union_gap_sewer.yaml")
    full = rating.rate(tariff, rating.RegisterUsage(D("0"), unit="CCF"), Period(date(2024, 1, 1), date(2024, 1, 31)),
                       service=rating.ServiceInfo(meter_size="1"))
    assert full.total == D("55.51")
    part = rating.rate(tariff, rating.RegisterUsage(D("3"), unit="CCF"), Period(date(2024, 1, 1), date(2024, 1, 10)),
                       service=rating.ServiceInfo(meter_size="1"))
    assert lines(part) == [("fixed", "0.3226", "17.91"), ("energy", "3", "10.14")]


def test_lake_stevens_sewer_per_dwelling_unit():
    # Triplex: 3 units x 86.00 = 258.00
    tariff = rating.load_tariff("lake_stevens_sewer.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("0"), unit="CCF"), Period(date(2024, 5, 1), date(2024, 5, 31)),
                       service=rating.ServiceInfo(dwelling_units=3))
    assert lines(bill) == [("fixed", "3", "258.00")]


def test_winter_average_sewer():
    # Winter reads: Nov-Dec 2023 61 days 12 CCF; Jan-Feb 2024 60 days 11 CCF; Mar-Apr 2024 61 days 13 CCF
    # average = 36 / 182 = 0.197802 CCF/day (6 places).
    # July 2024 (31 days), water use 15 CCF: winter average 0.197802 x 31 = 6.131862 -> 6.1319 CCF
    #   base 59.06 ; volume lesser(15, 6.1319) = 6.1319 x 3.38 = 20.725822 -> 20.73 ; total 79.79
    # Same month with 4 CCF of water: 4 x 3.38 = 13.52 ; total 72.58
    avg = rating.winter_average_daily([
        (Period(date(2023, 11, 1), date(2023, 12, 31)), D("12")),
        (Period(date(2024, 1, 1), date(2024, 2, 29)), D("11")),
        (Period(date(2024, 3, 1), date(2024, 4, 30)), D("13")),
    ])
    assert avg == D("0.197802")
    tariff = rating.load_tariff("example_winter_average_sewer.yaml")
    service = rating.ServiceInfo(winter_average_daily=avg)
    july = Period(date(2024, 7, 1), date(2024, 7, 31))
    bill = rating.rate(tariff, rating.RegisterUsage(D("15"), unit="CCF"), july, service=service)
    assert lines(bill) == [("fixed", "1", "59.06"), ("energy", "6.1319", "20.73")]
    assert bill.total == D("79.79")
    low = rating.rate(tariff, rating.RegisterUsage(D("4"), unit="CCF"), july, service=service)
    assert low.total == D("72.58")


# ---------------------------------------------------------------- rate change


def test_bill_spanning_a_rate_change_is_split_at_the_effective_date():
    # SnoPUD 7 medium, 2024-03-15..2024-04-14 (31 days) spans the 2024-04-01 change:
    #   17 days on the 2023 rates, 14 days on the 2024 rates; 930 kWh -> 510 + 420 kWh by days
    #   2023 part: base 0.19 x 17 = 3.23 ; energy 510 x 0.09822 = 50.0922 -> 50.09
    #   2024 part: base 0.29 x 14 = 4.06 ; energy 420 x 0.09527 = 40.0134 -> 40.01
    #   minimum 0.53 x 17 + 0.53 x 14 = 9.01 + 7.42 = 16.43 < 97.39 ; total 97.39
    tariff = rating.load_tariff("snopud_schedule_7.yaml")
    bill = rating.rate(tariff, rating.RegisterUsage(D("930")), Period(date(2024, 3, 15), date(2024, 4, 14)),
                       service=rating.ServiceInfo(size_class="medium"))
    assert lines(bill) == [("fixed", "17", "3.23"), ("energy", "510", "50.09"),
                           ("fixed", "14", "4.06"), ("energy", "420", "40.01")]
    assert "2024-04-01 to 2024-04-14" in bill.lines[2].description
    assert bill.total == D("97.39")


def test_thirty_day_proration_with_daily_rounding():
    # DOMAIN A.12 (Tacoma): $24.46/30 -> $0.82 per day (rounded first) x 19 days = $15.58
    tariff = rating.parse_tariff({
        "id": "tacoma-style", "name": "30-day proration", "versions": [{"effective": "2020-01-01", "components": [
            {"type": "fixed", "name": "fixed", "amount": "24.46", "per": "month", "proration": "thirty_day",
             "round_daily": True}]}]})
    bill = rating.rate(tariff, rating.RegisterUsage(D("0")), Period(date(2024, 5, 13), date(2024, 5, 31)))
    assert lines(bill) == [("fixed", "19", "15.58")]
    assert bill.lines[0].rate == D("0.82")


# ---------------------------------------------------------------- URDB test vectors (DOMAIN C.6)

TIERED = {
    "label": "domain-c6-tiered", "fixedchargefirstmeter": 15.00, "fixedchargeunits": "$/month",
    "mincharge": 20.00, "minchargeunits": "$/month",
    "energyratestructure": [[{"max": 1000, "rate": 0.09, "adj": 0.002}, {"rate": 0.11}]],
    "energyweekdayschedule": [[0] * 24] * 12, "energyweekendschedule": [[0] * 24] * 12,
}


@pytest.mark.parametrize("kwh,total", [("0", "20.00"), ("150", "28.80"), ("1000", "107.00"), ("1250", "134.50")])
def test_domain_urdb_tiered_vectors(kwh, total):
    tariff = rating.urdb_to_tariff(TIERED)
    bill = rating.rate(tariff, rating.RegisterUsage(D(kwh)), Period(date(2025, 1, 1), date(2025, 1, 31)))
    assert bill.total == D(total)


def test_domain_urdb_tou_vector():
    # 1 kWh every hour Mon 2025-01-06 .. Sun 2025-01-12: on-peak 70 h x 0.12 = 8.40, off-peak 98 h x 0.08 = 7.84
    rate_obj = {"label": "domain-c6-tou", "energyratestructure": [[{"rate": 0.08}], [{"rate": 0.12}]],
                "energyweekdayschedule": [[0] * 7 + [1] * 14 + [0] * 3] * 12,
                "energyweekendschedule": [[0] * 24] * 12}
    tariff = rating.urdb_to_tariff(rate_obj)
    times = [datetime(2025, 1, 6) + timedelta(hours=h) for h in range(168)]
    usage = rating.IntervalUsage(epoch=local_to_epoch(times, "America/Los_Angeles"), values=np.ones(168),
                                 interval_minutes=60, tz="America/Los_Angeles")
    bill = rating.rate(tariff, usage, Period(date(2025, 1, 6), date(2025, 1, 12)))
    assert sorted(amounts(bill)) == ["7.84", "8.40"]
    assert bill.total == D("16.24")
