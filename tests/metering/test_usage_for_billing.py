"""The interface billing calls: usage per agreement, estimation, true-up, meter change."""

from datetime import date, timedelta
from decimal import Decimal

from ratepayer.customers.models import Meter
from ratepayer.metering import actions
from ratepayer.metering.actions import ReadInput
from ratepayer.metering.actions.estimation import BillingUsage, UsageProblem, usage_for_billing
from ratepayer.metering.models import ReadPolicy, RegisterRead

from .conftest import many_service_points, monthly_reads, request_for

D = Decimal


def last_read(meter):
    return RegisterRead.objects.filter(meter=meter, status="valid").latest("read_date")


def test_actual_read_gives_the_period_and_quantity(meter_with_history, utility, specialist):
    jan = last_read(meter_with_history)
    feb = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 4),
                             value=jan.value + 900, demand_kw="6.2")
    usage = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 1, 5),
                                           period_end=date(2025, 2, 5))])[utility.electric.pk]
    assert usage == BillingUsage(agreement_id=utility.electric.pk, period_start=date(2025, 1, 6),
                                 period_end=date(2025, 2, 4), quantity=D("900.0000"), unit="kWh",
                                 demand_kw=D("6.2000"), read_type="actual", consecutive_estimates=0,
                                 opening_read_id=jan.pk, closing_read_id=feb.pk, meter_serials=("E1000123",),
                                 intervals=None)


def test_estimated_then_actual_true_up(meter_with_history, utility, specialist):
    """Worked example. History: 30 kWh/day all 2024. February's read is missed: the bill
    for 6 Jan – 5 Feb is estimated from January last year (31 days × 30 = 930 kWh) and an
    estimated read is written. March's actual read shows 1,800 kWh since 5 January, so
    the March bill is 1,800 − 930 = 870 kWh: both bills together bill exactly the meter."""
    jan = last_read(meter_with_history)
    first = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 1, 5),
                                           period_end=date(2025, 2, 5))])[utility.electric.pk]
    estimate = RegisterRead.objects.get(pk=first.closing_read_id)
    assert (first.read_type, first.quantity, first.consecutive_estimates) == ("estimated", D("930.0000"), 1)
    assert estimate.read_type == "estimated" and estimate.value == jan.value + 930
    assert estimate.estimate_basis == "same_season" and estimate.source == "estimation"
    # the bill run resumed or run again finds the same estimate instead of writing another
    again = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 1, 5),
                                           period_end=date(2025, 2, 5))])[utility.electric.pk]
    assert again.closing_read_id == estimate.pk and RegisterRead.objects.filter(read_type="estimated").count() == 1

    march = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 3, 5),
                               value=jan.value + 1800)
    assert march.status == "valid" and march.consumption == D("870.0000")
    second = usage_for_billing([request_for(utility.electric, billed_through=first.period_end,
                                            period_end=date(2025, 3, 5))])[utility.electric.pk]
    assert (second.read_type, second.quantity, second.consecutive_estimates) == ("actual", D("870.0000"), 0)
    assert second.opening_read_id == estimate.pk and second.closing_read_id == march.pk
    assert first.quantity + second.quantity == march.value - jan.value


def test_an_overestimate_is_trued_up_by_a_negative_quantity_not_held(meter_with_history, utility, specialist):
    jan = last_read(meter_with_history)
    first = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 1, 5),
                                           period_end=date(2025, 2, 5))])[utility.electric.pk]
    march = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 3, 5),
                               value=jan.value + 800)  # the house was empty: less than the estimate
    assert march.status == "valid" and march.consumption == D("-130.0000")
    second = usage_for_billing([request_for(utility.electric, billed_through=first.period_end,
                                            period_end=date(2025, 3, 5))])[utility.electric.pk]
    assert second.quantity == D("-130.0000") and first.quantity + second.quantity == D(800)


def test_meter_change_mid_period_sums_both_meters(meter_with_history, utility, specialist):
    jan = last_read(meter_with_history)
    new = Meter.objects.create(serial_number="E2000555", service="electric", dial_count=6, multiplier=D(1))
    point = utility.electric.service_point
    out, inn = actions.change_meter(user=specialist, service_point=point, new_meter=new, change_date=date(2025, 1, 20),
                                    out_read=jan.value + 450, in_read=100)
    assert (out.consumption, inn.consumption) == (D("450.0000"), D("0.0000"))
    feb = actions.enter_read(user=specialist, meter=new, read_date=date(2025, 2, 5), value=580)
    assert feb.status == "valid" and feb.consumption == D("480.0000")
    usage = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 1, 5),
                                           period_end=date(2025, 2, 5))])[utility.electric.pk]
    assert usage.quantity == D("930.0000") and usage.meter_serials == ("E1000123", "E2000555")
    assert usage.opening_read_id == jan.pk and usage.closing_read_id == feb.pk


def test_open_exception_holds_the_bill(meter_with_history, utility, specialist):
    jan = last_read(meter_with_history)
    actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 5), value=jan.value + 20000)
    result = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 1, 5),
                                            period_end=date(2025, 2, 5))])[utility.electric.pk]
    assert isinstance(result, UsageProblem) and result.code == "read_exception_open"
    assert "held in the read exceptions queue" in result.reason
    assert not RegisterRead.objects.filter(read_type="estimated").exists()


def test_consecutive_estimate_limit_is_policy(meter_with_history, utility):
    ReadPolicy.objects.create(effective_from=date(2024, 6, 1), max_consecutive_estimates=1)
    first = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 1, 5),
                                           period_end=date(2025, 2, 5))])[utility.electric.pk]
    assert first.read_type == "estimated"
    second = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 2, 5),
                                            period_end=date(2025, 3, 5))])[utility.electric.pk]
    assert second.code == "estimate_limit" and "an actual read is needed" in second.reason


def test_first_bill_without_history_is_estimated_from_the_class_average(utility):
    usage = usage_for_billing([request_for(utility.electric, period_end=date(2024, 2, 5))])[utility.electric.pk]
    assert usage.period_start == date(2024, 1, 2) and usage.read_type == "estimated"
    est = RegisterRead.objects.get(pk=usage.closing_read_id)
    assert est.estimate_basis == "class_average"
    # February class average for residential electric is 36 kWh/day; estimated from the install read
    assert est.consumption == D(36) * (date(2024, 2, 5) - date(2020, 1, 1)).days


def test_final_bill_needs_a_final_read(meter_with_history, utility, specialist):
    from ratepayer.customers.actions import stop_service

    agreement = stop_service(user=specialist, agreement=utility.electric, end_date=date(2025, 1, 25))
    request = request_for(agreement, billed_through=date(2025, 1, 5), period_end=date(2025, 2, 5))
    assert usage_for_billing([request])[agreement.pk].code == "no_read"
    jan = last_read(meter_with_history)
    final = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 1, 25),
                               value=jan.value + 600, read_type="final")
    actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 4), value=jan.value + 640)
    usage = usage_for_billing([request])[agreement.pk]
    assert (usage.read_type, usage.period_end, usage.quantity, usage.closing_read_id) == (
        "final", date(2025, 1, 25), D("600.0000"), final.pk)


def test_usage_for_billing_runs_a_fixed_number_of_queries(db, users, utility, django_assert_max_num_queries):
    agreements = many_service_points(240, cycle=utility.cycle)
    reads = []
    for i in range(len(agreements)):
        meter_reads = monthly_reads(f"B{i:06d}", 1000, 25, date(2024, 10, 5), 3)
        reads += meter_reads if i < 200 else meter_reads[:-1]  # 40 meters miss January
    actions.load_reads_bulk(reads, user=users["specialist"])
    small = [request_for(a, billed_through=date(2024, 12, 5), period_end=date(2025, 1, 5))
             for a in agreements[:10] + agreements[-10:]]
    large = [request_for(a, billed_through=date(2024, 12, 5), period_end=date(2025, 1, 5)) for a in agreements]
    with django_assert_max_num_queries(12) as small_ctx:
        usage_for_billing(small)
    with django_assert_max_num_queries(12) as large_ctx:
        result = usage_for_billing(large)
    assert len(large_ctx.captured_queries) == len(small_ctx.captured_queries)
    kinds = [r.read_type if isinstance(r, BillingUsage) else r.code for r in result.values()]
    assert kinds.count("actual") == 200 and kinds.count("estimated") == 40
    assert RegisterRead.objects.filter(read_type="estimated").count() == 40  # the small call's 10 found again
    assert all(r.quantity == D(25) * 31 for r in result.values())


def test_interval_meter_bills_from_interval_data_and_reports_gaps(utility, users):
    import numpy as np

    from ratepayer.metering.queries import local_day_bounds

    agreements = many_service_points(2, cycle=utility.cycle, kind="interval")
    meters = {m.serial_number: m for m in Meter.objects.filter(serial_number__in=["B000000", "B000001"])}
    start, end = local_day_bounds(date(2025, 1, 6), date(2025, 2, 5))
    starts = np.arange(start, end, 900)
    wh = np.full(len(starts), 250)
    actions.load_intervals_bulk([(meters["B000000"], 900, starts.tolist(), wh.tolist()),
                                 (meters["B000001"], 900, starts[:-8].tolist(), wh[:-8].tolist())])
    result = usage_for_billing([request_for(a, billed_through=date(2025, 1, 5), period_end=date(2025, 2, 5))
                                for a in agreements])
    full = result[agreements[0].pk]
    assert full.quantity == D("0.25") * len(starts) and full.read_type == "actual" and full.closing_read_id is None
    assert full.intervals.interval_seconds == 900 and full.intervals.gaps == () and full.demand_kw == D("1.0000")
    assert full.intervals.starts[0] == np.datetime64(start, "s") and len(full.intervals.kwh) == 31 * 96
    gap = result[agreements[1].pk]
    assert gap.code == "interval_gaps" and "8 intervals missing from 2025-02-05 22:00" in gap.reason
    assert (date(2025, 2, 5) - timedelta(days=0)).day == 5


def test_ami_meter_with_a_register_read_carries_its_intervals_for_tou(utility, users):
    import numpy as np

    from ratepayer.metering.queries import local_day_bounds

    (agreement,) = many_service_points(1, cycle=utility.cycle, kind="interval")
    meter = Meter.objects.get(serial_number="B000000")
    actions.load_reads_bulk([ReadInput("B000000", date(2025, 1, 5), D(1000)), ReadInput("B000000", date(2025, 2, 5),
                                                                                         D(1000 + 744))],
                            user=users["specialist"], validate=False)
    start, end = local_day_bounds(date(2025, 1, 6), date(2025, 2, 5))
    starts = np.arange(start, end, 3600)
    actions.load_intervals_bulk([(meter, 3600, starts.tolist(), [1000] * len(starts))])
    request = request_for(agreement, billed_through=date(2025, 1, 5), period_end=date(2025, 2, 5))
    usage = usage_for_billing([request])[agreement.pk]
    assert usage.quantity == D(744) and usage.closing_read_id is not None
    assert usage.intervals.total_kwh == D(744) and len(usage.intervals.kwh) == 744
    # one hour lost in transfer: the period waits rather than being rated short
    from ratepayer.metering.models import IntervalDay

    row = IntervalDay.objects.get(meter=meter, day=date(2025, 1, 20))
    wh = np.frombuffer(bytes(row.wh), dtype="<i4").copy()
    wh[5] = -(2**31)
    IntervalDay.objects.filter(pk=row.pk).update(wh=wh.tobytes())
    held = usage_for_billing([request])[agreement.pk]
    assert held.code == "interval_gaps" and "1 intervals missing from 2025-01-19 21:00" in held.reason


def test_a_long_row_of_estimates_is_counted_back_beyond_the_short_history(meter_with_history, utility):
    """The bill run first loads reads from ~100 days before the last billed day; a row of
    estimates that began earlier must still be counted whole (policy on estimates in a row)."""
    ReadPolicy.objects.create(effective_from=date(2024, 6, 1), max_consecutive_estimates=9)
    billed_through = date(2025, 1, 5)
    for month in range(2, 8):  # estimated reads on the 5th of February … July, no actual read
        usage = usage_for_billing([request_for(utility.electric, billed_through=billed_through,
                                               period_end=date(2025, month, 5))])[utility.electric.pk]
        assert usage.read_type == "estimated", usage
        billed_through = usage.period_end
    assert usage.consecutive_estimates == 6
    # billed again from the reads already there: July's estimate closes the period, and the row
    # of six reaches back to February, before the short history's first day (26 Feb)
    again = usage_for_billing([request_for(utility.electric, billed_through=date(2025, 6, 5),
                                           period_end=date(2025, 7, 5))])[utility.electric.pk]
    assert (again.closing_read_id, again.consecutive_estimates) == (usage.closing_read_id, 6)
