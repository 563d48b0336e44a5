"""AMI meters are rated from their intervals: TOU energy, vectorized per tariff and period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np

from ratepayer.billing.models import Bill, BillingPolicy, BillSegment
from ratepayer.customers.models import ServiceAgreement
from ratepayer.ledger.models import JournalEntry
from ratepayer.rates.models import RateSchedule, RateVersion
from tests.billing.test_billrun import run_cycle

TOU = {
    "format": "ratepayer-tariff/1", "id": "tou-res", "name": "Residential time of use", "service": "electric",
    "timezone": "America/Los_Angeles",
    "tou_periods": [
        {"name": "peak", "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "11:00"}]},
        {"name": "off", "otherwise": True},
    ],
    "versions": [{"effective": "2024-01-01", "components": [
        {"type": "energy", "name": "energy", "description": "Energy", "unit": "kWh",
         "tou": {"peak": [{"rate": "0.20"}], "off": [{"rate": "0.08"}]}},
    ]}],
}


def hourly(first: date, last: date, kwh: float) -> SimpleNamespace:
    zone = ZoneInfo("America/Los_Angeles")
    t0 = int(datetime(first.year, first.month, first.day, tzinfo=zone).timestamp())
    end = last + timedelta(days=1)
    t1 = int(datetime(end.year, end.month, end.day, tzinfo=zone).timestamp())
    starts = np.arange(t0, t1, 3600, dtype=np.int64).astype("datetime64[s]")
    return SimpleNamespace(starts=starts, kwh=np.full(len(starts), kwh), interval_seconds=3600, gaps=())


def test_ami_meters_sharing_a_tou_tariff_are_rated_from_their_intervals(town, fake_usage):
    schedule = RateSchedule.objects.create(code="TOU-E", name="TOU", service="electric")
    RateVersion.objects.create(schedule=schedule, effective_from=date(2024, 1, 1), document=TOU, status="approved")
    electric = [town.agreements[a.pk]["electric"] for a in town.accounts[:2]]
    ServiceAgreement.objects.filter(pk__in=[a.pk for a in electric]).update(rate_schedule=schedule)
    period = (date(2025, 1, 2), date(2025, 2, 14))
    for agreement, kwh in zip(electric, (1.0, 2.0), strict=True):
        iv = hourly(*period, kwh)
        fake_usage[agreement.pk] = {"intervals": iv, "quantity": Decimal(str(kwh * len(iv.kwh)))}
    run_cycle(town.cycle, date(2025, 2, 14))
    weekdays = sum(1 for i in range(44) if (period[0] + timedelta(days=i)).weekday() < 5)  # 31
    for agreement, kwh in zip(electric, (1, 2), strict=True):
        segment = BillSegment.objects.get(agreement=agreement)
        lines = {line.description: line for line in segment.lines.all()}
        peak = next(line for d, line in lines.items() if "peak" in d.lower() and "off" not in d.lower())
        off = next(line for d, line in lines.items() if "off" in d.lower())
        assert peak.quantity == weekdays * 4 * kwh
        assert off.quantity == (44 * 24 - weekdays * 4) * kwh
        assert peak.amount == Decimal(weekdays * 4 * kwh) * Decimal("0.20")
        assert segment.total == peak.amount + off.amount


def ami_bill(town, fake_usage, *, register: Decimal, kwh_per_hour: float = 1.0):
    """An AMI meter billed from hourly intervals of ``kwh_per_hour`` over
    2025-01-02 .. 2025-02-14 (44 days, 1,056 hours) whose register advanced
    ``register`` kWh over the same period."""
    schedule = RateSchedule.objects.create(code="TOU-E", name="TOU", service="electric")
    RateVersion.objects.create(schedule=schedule, effective_from=date(2024, 1, 1), document=TOU, status="approved")
    agreement = town.agreements[town.accounts[0].pk]["electric"]
    ServiceAgreement.objects.filter(pk=agreement.pk).update(rate_schedule=schedule)
    iv = hourly(date(2025, 1, 2), date(2025, 2, 14), kwh_per_hour)
    fake_usage[agreement.pk] = {"intervals": iv, "quantity": register, "opening_read_id": 1, "closing_read_id": 2}
    run_cycle(town.cycle, date(2025, 2, 14))
    return BillSegment.objects.select_related("bill").get(agreement=agreement)


def test_intervals_that_disagree_with_the_register_hold_the_bill_with_both_figures(town, fake_usage):
    # 1,056 hours at 1 kWh = 1,056 kWh from the intervals; the register says
    # 1,080 kWh: 24 kWh apart, 2.2% of the advance, beyond the default 1%.
    segment = ami_bill(town, fake_usage, register=Decimal("1080"))
    bill = segment.bill
    assert bill.status == Bill.Status.HELD
    reasons = [r for r in bill.hold_reasons if r["code"] == "interval_register_mismatch"]
    assert len(reasons) == 1
    assert "1,056.00 kWh" in reasons[0]["message"] and "1,080.00 kWh" in reasons[0]["message"]
    assert (reasons[0]["intervals"], reasons[0]["register"]) == ("1056.0000", "1080")
    assert not JournalEntry.objects.filter(source_type="billing.bill", source_id=bill.pk).exists()
    # the segment states what it billed: the intervals' total, from interval data
    assert segment.quantity == Decimal("1056") and segment.quantity_source == "interval"


def test_within_the_policy_tolerance_the_bill_is_issued(town, fake_usage):
    # the board allows 3%: 24 kWh of 1,080 (2.2%) passes
    BillingPolicy.objects.update(interval_register_tolerance_percent=Decimal("3.00"))
    segment = ami_bill(town, fake_usage, register=Decimal("1080"))
    assert segment.bill.status == Bill.Status.ISSUED
    assert segment.quantity == Decimal("1056") and segment.quantity_source == "interval"


def test_register_billed_segments_say_so(town):
    run_cycle(town.cycle, date(2025, 2, 14))
    sources = set(BillSegment.objects.filter(unit__in=("kWh", "CCF")).values_list("quantity_source", flat=True))
    assert sources == {"register"}
