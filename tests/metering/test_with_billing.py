"""Worked examples through the real bill run (billing.billrun) and metering together:
two estimates then the policy's limit (the actual read trues all three bills up), a
held read that holds the bill until a specialist corrects it, and a meter
change to a CT-rated meter (multiplier 40) mid-period."""

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.billing import actions as billing_actions
from ratepayer.billing.models import Bill, BillSegment
from ratepayer.customers.models import Meter
from ratepayer.ledger import checks
from ratepayer.metering import actions as metering
from ratepayer.metering.models import RegisterRead
from tests.billing.conftest import build_town
from tests.billing.test_billrun import run_cycle

D = Decimal


@pytest.fixture
def street(db, users):
    town = build_town(users["specialist"], accounts=1, services=("electric",), cycle_code="31")
    agreement = town.agreements[town.accounts[0].pk]["electric"]
    meter = agreement.service_point.installations.get().meter
    user = users["specialist"]
    for day, value in ((date(2025, 1, 2), "10000"), (date(2025, 2, 14), "10720"), (date(2025, 3, 14), "11400")):
        metering.enter_read(user=user, meter=meter, read_date=day, value=value)
    run_cycle(town.cycle, date(2025, 2, 14))
    run_cycle(town.cycle, date(2025, 3, 14))
    return town, agreement, meter, user


def segment(agreement, period_end) -> BillSegment:
    return BillSegment.objects.get(agreement=agreement, period_end=period_end, cancelled=False)


def test_two_estimates_then_the_limit_holds_the_bill_and_the_actual_trues_up_both(street):
    town, agreement, meter, user = street
    run_cycle(town.cycle, date(2025, 4, 14))
    run_cycle(town.cycle, date(2025, 5, 14))
    april, may = segment(agreement, date(2025, 4, 14)), segment(agreement, date(2025, 5, 14))
    assert (april.read_type, april.consecutive_estimates) == ("estimated", 1)
    assert (may.read_type, may.consecutive_estimates) == ("estimated", 2)
    # recent history (Jan–Mar) averages (1400 kWh / 71 days); 31 and 30 days of it, to the 4th place
    assert april.quantity == (D(1400) / 71 * 31).quantize(D("0.0001"))
    run_cycle(town.cycle, date(2025, 6, 14))  # a third estimate is beyond the policy (2 in a row)
    june = segment(agreement, date(2025, 6, 14))
    assert june.bill.status == Bill.Status.HELD and "an actual read is needed" in june.problem
    assert RegisterRead.objects.filter(meter=meter, read_type="estimated").count() == 2
    # the actual read arrives; re-billing the held June bill trues up both estimates
    metering.enter_read(user=user, meter=meter, read_date=date(2025, 6, 13), value="12900")
    rebilled = billing_actions.correct_held_bill(user=user, bill=june.bill, note="actual read received")
    june = segment(agreement, date(2025, 6, 14))
    assert rebilled.status == Bill.Status.ISSUED and (june.read_type, june.read_date) == ("actual", date(2025, 6, 13))
    assert april.quantity + may.quantity + june.quantity == D(12900) - D(11400)
    assert checks.run_all()["ok"]


def test_a_held_read_holds_the_bill_until_worked(street):
    town, agreement, meter, user = street
    held = metering.enter_read(user=user, meter=meter, read_date=date(2025, 4, 14), value="31400")
    assert held.status == "exception"
    run_cycle(town.cycle, date(2025, 4, 14))
    april = segment(agreement, date(2025, 4, 14))
    assert april.bill.status == Bill.Status.HELD and "read exceptions queue" in april.problem
    assert not RegisterRead.objects.filter(read_type="estimated").exists()  # never estimated over a held read
    metering.work_exception(user=user, exception=held.exception, decision="correct", corrected_value="12100",
                            note="extra digit keyed")
    rebilled = billing_actions.correct_held_bill(user=user, bill=april.bill, note="read corrected")
    april = segment(agreement, date(2025, 4, 14))
    assert rebilled.status == Bill.Status.ISSUED and april.quantity == D(700)
    assert checks.run_all()["ok"]


def test_meter_change_to_a_ct_meter_mid_period(street):
    town, agreement, meter, user = street
    ct = Meter.objects.create(serial_number="CT-40-1", service="electric", unit="kWh", multiplier=D(40), dial_count=5)
    metering.change_meter(user=user, service_point=agreement.service_point, new_meter=ct,
                          change_date=date(2025, 3, 31), out_read="11790", in_read="120")
    metering.enter_read(user=user, meter=ct, read_date=date(2025, 4, 14), value="128.5")
    run_cycle(town.cycle, date(2025, 4, 14))
    april = segment(agreement, date(2025, 4, 14))
    assert april.quantity == D(390) + D("8.5") * 40  # 390 on the old meter, 8.5 dial units × 40 on the new
    assert april.read_type == "actual" and april.bill.status == Bill.Status.ISSUED
    assert checks.run_all()["ok"]
