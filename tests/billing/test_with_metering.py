"""Worked examples through the real metering interface (metering.queries):
estimated then actual true-up, meter change mid-period, final bill."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.billing.models import Bill, BillSegment
from ratepayer.customers import actions as customer_actions
from ratepayer.customers.models import Meter
from ratepayer.ledger import checks
from ratepayer.metering import actions as metering
from ratepayer.metering.models import RegisterRead
from tests.billing.conftest import build_town
from tests.billing.test_billrun import run_cycle


@pytest.fixture
def street(db, users):
    town = build_town(users["specialist"], accounts=1, services=("electric",), cycle_code="30")
    agreement = town.agreements[town.accounts[0].pk]["electric"]
    meter = agreement.service_point.installations.get().meter
    user = users["specialist"]
    for day, value in ((date(2025, 1, 2), "10000"), (date(2025, 2, 14), "10720"), (date(2025, 3, 14), "11400")):
        metering.enter_read(user=user, meter=meter, read_date=day, value=value)
    return town, agreement, meter, user


def segment(agreement, period_end) -> BillSegment:
    return BillSegment.objects.get(agreement=agreement, period_end=period_end, cancelled=False)


def test_estimated_bill_is_trued_up_by_the_next_actual_read(street):
    town, agreement, meter, user = street
    run_cycle(town.cycle, date(2025, 2, 14))
    run_cycle(town.cycle, date(2025, 3, 14))
    assert segment(agreement, date(2025, 3, 14)).quantity == Decimal("680")
    run_cycle(town.cycle, date(2025, 4, 14))  # no read: metering estimates
    april = segment(agreement, date(2025, 4, 14))
    estimate = RegisterRead.objects.get(pk=april.closing_read_id)
    assert april.read_type == "estimated" and estimate.read_type == "estimated"
    assert april.bill.status == Bill.Status.ISSUED and april.quantity > 0
    metering.enter_read(user=user, meter=meter, read_date=date(2025, 5, 14), value="12800")
    run_cycle(town.cycle, date(2025, 5, 14))
    may = segment(agreement, date(2025, 5, 14))
    assert may.read_type == "actual" and may.period_start == date(2025, 4, 15)
    # the actual read trues up: the two bills together bill exactly the metered use since March
    assert april.quantity + may.quantity == Decimal("12800") - Decimal("11400")
    assert checks.run_all()["ok"]


def test_meter_change_mid_period_sums_both_meters(street):
    town, agreement, meter, user = street
    run_cycle(town.cycle, date(2025, 2, 14))
    run_cycle(town.cycle, date(2025, 3, 14))
    new = Meter.objects.create(serial_number="E-NEW-1", service="electric", unit="kWh")
    metering.change_meter(user=user, service_point=agreement.service_point, new_meter=new,
                          change_date=date(2025, 3, 31), out_read="11800", in_read="0")
    metering.enter_read(user=user, meter=new, read_date=date(2025, 4, 14), value="310")
    run_cycle(town.cycle, date(2025, 4, 14))
    april = segment(agreement, date(2025, 4, 14))
    assert april.quantity == Decimal("400") + Decimal("310")
    assert set(april.meter_serials.split(", ")) == {meter.serial_number, "E-NEW-1"}
    assert april.read_type == "actual"


def test_final_bill_ends_on_the_stop_date_and_prorates(street, users):
    town, agreement, meter, user = street
    run_cycle(town.cycle, date(2025, 2, 14))
    run_cycle(town.cycle, date(2025, 3, 14))
    customer_actions.stop_service(user=user, agreement=agreement, end_date=date(2025, 3, 28))
    metering.enter_read(user=user, meter=meter, read_date=date(2025, 3, 28), value="11710", read_type="final")
    run_cycle(town.cycle, date(2025, 4, 14))
    final = segment(agreement, date(2025, 4, 14))
    assert (final.period_start, final.read_date, final.quantity) == (date(2025, 3, 15), date(2025, 3, 28), Decimal("310"))
    assert final.read_type == "final"
    base = final.lines.get(description__startswith="Daily base charge")
    assert base.quantity == Decimal("14") and base.amount == Decimal("4.48")  # 14 days x $0.32
    run_cycle(town.cycle, date(2025, 5, 14))  # nothing more to bill on an ended agreement
    assert not BillSegment.objects.filter(agreement=agreement, period_end=date(2025, 5, 14)).exists()
