"""The bill run passes a tariff the facts it asks for — worked examples on real
Washington tariffs (shared/reference/TARIFFS.md), through the real metering
interface, every amount computed by hand in the comments:

* Snohomish PUD Schedule 7 bills its daily base charge by the agreement's size class;
* winter-average sewer bills the lesser of the period's water use and the
  water's winter average per day (policy: December-March) x the period's days;
* Union Gap sewer bills by the premise's water meter size, with no volume
  charge on a 3/4-inch meter.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratepayer.billing.models import Bill, BillingPolicy, BillSegment
from ratepayer.customers import actions as customer_actions
from ratepayer.customers.models import BillCycle, Meter
from ratepayer.ledger import checks
from ratepayer.metering import actions as metering
from ratepayer.rates.actions import load_example_schedules
from tests.billing.test_billrun import run_cycle

pytestmark = pytest.mark.django_db


class Utility:
    def __init__(self, users, code: str):
        self.user = users["specialist"]
        self.schedules = load_example_schedules(approved_by=users["supervisor"]).schedules
        self.cycle, _ = BillCycle.objects.get_or_create(code=code, defaults={"name": f"Cycle {code}", "read_day": 28})
        self.serial = 0

    def meter(self, point, service: str, size: str, first_read: str, installed_on: date) -> Meter:
        self.serial += 1
        meter = Meter.objects.create(serial_number=f"{self.cycle.code}-{service[0].upper()}{self.serial}",
                                     service=service, unit="kWh" if service == "electric" else "CCF", size=size)
        customer_actions.install_meter(user=self.user, meter=meter, service_point=point, installed_on=installed_on,
                                       install_read=first_read)
        metering.enter_read(user=self.user, meter=meter, read_date=installed_on, value=first_read)
        return meter

    def account(self, name: str, services: dict[str, str], *, start: date, customer_class: str = "residential",
                size_class: str = "", water_meter: str = "5/8", first_read: str = "1000"):
        """An account at a new premise; ``services``: service -> schedule code.
        Meters are installed (and read) the day before the start."""
        customer = customer_actions.create_customer(user=self.user, name=name)
        account = customer_actions.open_account(user=self.user, customer=customer, mailing_line1="1 Main St",
                                                mailing_city="Union Gap", mailing_zip="98903", opened_on=start)
        premise = customer_actions.create_premise(user=self.user, line1=f"{self.serial + 100} Main St",
                                                  city="Union Gap", zip="98903", services=tuple(services))
        points = {sp.service: sp for sp in premise.service_points.all()}
        meters, agreements = {}, {}
        installed = date.fromordinal(start.toordinal() - 1)
        for service, code in services.items():
            if service in ("electric", "water"):
                meters[service] = self.meter(points[service], service, "" if service == "electric" else water_meter,
                                             first_read, installed)
            agreements[service] = customer_actions.start_service(
                user=self.user, account=account, service_point=points[service], rate_schedule=self.schedules[code],
                customer_class=customer_class, bill_cycle=self.cycle, start_date=start,
                size_class=size_class if service == "electric" else "")
        return account, meters, agreements

    def read(self, meter: Meter, day: date, value: str) -> None:
        read = metering.enter_read(user=self.user, meter=meter, read_date=day, value=value)
        assert read.status == "valid", (read, getattr(getattr(read, "exception", None), "message", ""))


def segment(agreement, period_end) -> BillSegment:
    return BillSegment.objects.get(agreement=agreement, period_end=period_end, cancelled=False)


def test_schedule_7_bills_the_base_charge_of_the_agreements_size_class(users):
    utility = Utility(users, "F7")
    # 900 kWh from Apr 30 to May 31, 2025: the 2025-04-01 version (medium $0.38/day, small $0.32/day,
    # energy $0.09231/kWh, minimum $0.53/day).
    medium = utility.account("Medium home", {"electric": "E-7"}, start=date(2025, 5, 1), size_class="medium",
                             first_read="10000")
    small = utility.account("Small flat", {"electric": "E-7"}, start=date(2025, 5, 1), size_class="small",
                            first_read="10000")
    unknown = utility.account("No class", {"electric": "E-7"}, start=date(2025, 5, 1), first_read="10000")
    for _, meters, _ in (medium, small, unknown):
        utility.read(meters["electric"], date(2025, 5, 31), "10900")
    run_cycle(utility.cycle, date(2025, 5, 31))

    # medium: base 0.38 x 31 days = 11.78; energy 900 x 0.09231 = 83.079 -> 83.08; total 94.86
    # (the minimum, 0.53 x 31 = 16.43, is below it)
    seg = segment(medium[2]["electric"], date(2025, 5, 31))
    base = seg.lines.get(description__startswith="Daily base charge")
    assert (base.quantity, base.rate, base.amount) == (Decimal("31"), Decimal("0.38"), Decimal("11.78"))
    assert seg.lines.get(kind="energy").amount == Decimal("83.08")
    assert seg.total == Decimal("94.86") and seg.bill.status == Bill.Status.ISSUED
    # small: base 0.32 x 31 = 9.92; + 83.08 = 93.00
    seg = segment(small[2]["electric"], date(2025, 5, 31))
    assert seg.lines.get(description__startswith="Daily base charge").amount == Decimal("9.92")
    assert seg.total == Decimal("93.00")
    # no size class: the bill waits, saying which fact is missing
    held = Bill.objects.get(account=unknown[0], period_end=date(2025, 5, 31))
    assert held.status == Bill.Status.HELD
    assert "size_class" in held.hold_reasons[0]["message"] and held.hold_reasons[0]["code"] == "rating_error"
    assert checks.run_all()["ok"]


def winter_street(utility: Utility, name: str, *, start: date = date(2024, 12, 1)):
    """Water (Granite Falls general service) and winter-average sewer at one
    premise, read at each month's end: 1000 on Nov 30, then Dec 31 1004,
    Jan 31 1010, Feb 28 1015, Mar 31 1022, Apr 30 1030."""
    account, meters, agreements = utility.account(name, {"water": "W-GEN", "sewer": "S-WAV"}, start=start)
    for day, value in ((date(2024, 12, 31), "1004"), (date(2025, 1, 31), "1010"), (date(2025, 2, 28), "1015"),
                       (date(2025, 3, 31), "1022"), (date(2025, 4, 30), "1030")):
        utility.read(meters["water"], day, value)
    return account, meters, agreements


def test_sewer_is_billed_on_the_winter_average_of_the_water_use(users):
    utility = Utility(users, "F8")
    account, meters, agreements = winter_street(utility, "Winter home")
    run_cycle(utility.cycle, date(2025, 3, 31))
    run_cycle(utility.cycle, date(2025, 4, 30))

    # Winter Dec 2024 - Mar 2025 (the policy's default months): reads from Dec 31 (1004) to Mar 31 (1022),
    # 18 CCF in 90 days = 0.2 CCF a day. April (Apr 1-30, 30 days): water use 1030 - 1022 = 8 CCF;
    # winter quantity 0.2 x 30 = 6 CCF, the lesser: volume 6 x $3.38 = 20.28; base $59.06 a month;
    # total 79.34.
    sewer = segment(agreements["sewer"], date(2025, 4, 30))
    assert (sewer.period_start, sewer.read_date, sewer.quantity) == (date(2025, 4, 1), date(2025, 4, 30),
                                                                    Decimal("8"))
    volume = sewer.lines.get(kind="energy")
    assert (volume.quantity, volume.rate, volume.amount) == (Decimal("6"), Decimal("3.38"), Decimal("20.28"))
    assert sewer.lines.get(kind="fixed").amount == Decimal("59.06")
    assert sewer.total == Decimal("79.34")
    # the sewer states the water meter it was billed on
    assert sewer.meter_serials == meters["water"].serial_number
    # water (Granite Falls): $35.50 a month including 5 CCF, 3 CCF over at $3.40 = 10.20: 45.70
    assert segment(agreements["water"], date(2025, 4, 30)).total == Decimal("45.70")
    # the first bill (Dec 1 - Mar 31): the winter ended on its period end, 0.2 x 121 days = 24.2 CCF
    # against 22 CCF used: the lesser is the use, 22 x 3.38 = 74.36
    first = segment(agreements["sewer"], date(2025, 3, 31))
    assert first.lines.get(kind="energy").amount == Decimal("74.36")
    assert checks.run_all()["ok"]


def test_the_policy_names_the_winter_months(users):
    utility = Utility(users, "F9")
    BillingPolicy.objects.update(winter_first_month=1, winter_last_month=2)
    _, _, agreements = winter_street(utility, "January home")
    run_cycle(utility.cycle, date(2025, 3, 31))
    run_cycle(utility.cycle, date(2025, 4, 30))
    # Winter Jan-Feb 2025: Jan 31 (1010) to Feb 28 (1015), 5 CCF in 28 days = 0.178571 a day;
    # April: 0.178571 x 30 = 5.35713 -> 5.3571 CCF (4 places) x 3.38 = 18.106998 -> 18.11
    volume = segment(agreements["sewer"], date(2025, 4, 30)).lines.get(kind="energy")
    assert (volume.quantity, volume.amount) == (Decimal("5.3571"), Decimal("18.11"))


def test_a_new_customer_is_not_billed_on_the_previous_winter(users):
    utility = Utility(users, "FA")
    # service starting Mar 1: only Mar 31 and Apr 30 are the customer's reads, and only Mar 31 lies in the
    # winter: no winter average yet, so the tariff bills the period's use (without_winter_average: usage):
    # April 8 CCF x 3.38 = 27.04
    account, meters, agreements = utility.account("Newcomer", {"water": "W-GEN", "sewer": "S-WAV"},
                                                  start=date(2025, 3, 1), first_read="1015")
    utility.read(meters["water"], date(2025, 3, 31), "1022")
    utility.read(meters["water"], date(2025, 4, 30), "1030")
    run_cycle(utility.cycle, date(2025, 3, 31))
    run_cycle(utility.cycle, date(2025, 4, 30))
    volume = segment(agreements["sewer"], date(2025, 4, 30)).lines.get(kind="energy")
    assert (volume.quantity, volume.amount) == (Decimal("8"), Decimal("27.04"))


def test_union_gap_sewer_uses_the_water_meters_size(users):
    utility = Utility(users, "FB")
    services = {"water": "W-GEN", "sewer": "S-GEN"}
    small = utility.account("Shop on a 3/4-inch meter", services, start=date(2025, 4, 1), customer_class="commercial",
                            water_meter="3/4", first_read="500")
    large = utility.account("Shop on a 1-inch meter", services, start=date(2025, 4, 1), customer_class="commercial",
                            water_meter="1", first_read="500")
    for _, meters, _ in (small, large):
        utility.read(meters["water"], date(2025, 4, 30), "545")
    run_cycle(utility.cycle, date(2025, 4, 30))
    # April 2025, 45 CCF of water, the 2024-01-01 version.
    # 3/4": ready-to-serve $59.06, and no volume charge on a 3/4" meter: 59.06
    sewer = segment(small[2]["sewer"], date(2025, 4, 30))
    assert [(line.kind, line.amount) for line in sewer.lines.all()] == [("fixed", Decimal("59.06"))]
    assert sewer.total == Decimal("59.06")
    # 1": ready-to-serve $55.51 + 45 CCF x $3.38 = 152.10: 207.61
    sewer = segment(large[2]["sewer"], date(2025, 4, 30))
    assert sewer.lines.get(kind="fixed").amount == Decimal("55.51")
    assert sewer.lines.get(kind="energy").amount == Decimal("152.10")
    assert sewer.total == Decimal("207.61")
    assert checks.run_all()["ok"]


def test_query_count_of_the_facts_does_not_grow_with_accounts(users):
    utility = Utility(users, "FC")
    counts = []
    for n, code in ((2, "FC"), (5, "FD")):
        utility.cycle, _ = BillCycle.objects.get_or_create(code=code, defaults={"name": code, "read_day": 28})
        for i in range(n):
            account, meters, _ = utility.account(f"{code} home {i}", {"electric": "E-7", "water": "W-GEN",
                                                                      "sewer": "S-WAV"},
                                                 start=date(2025, 3, 1), size_class="medium", first_read="1015")
            utility.read(meters["water"], date(2025, 3, 31), "1022")
            utility.read(meters["electric"], date(2025, 3, 31), "1600")
        with CaptureQueriesContext(connection) as queries:
            run = run_cycle(utility.cycle, date(2025, 3, 31))
        assert run.bills_issued == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
