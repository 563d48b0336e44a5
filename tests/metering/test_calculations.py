from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ratepayer.metering import calculations as calc

D = Decimal


def test_consumption_applies_the_multiplier():
    c = calc.consumption(previous_value=D("1200"), value=D("1250.5"), multiplier=D("40"), dial_count=5)
    assert c == calc.Consumption(D("2020.0000"), False)


def test_lower_read_on_a_five_dial_register_is_a_rollover_when_plausible():
    c = calc.consumption(previous_value=D("99850"), value=D("120"), multiplier=D(1), dial_count=5,
                         expected=D("900"))
    assert c == calc.Consumption(D("270.0000"), True)


def test_implausible_rollover_stays_negative_for_the_exceptions_queue():
    # 99,850 -> 50,000 would be 50,150 kWh in a month for a 900 kWh customer: a misread, not a rollover
    c = calc.consumption(previous_value=D("99850"), value=D("50000"), multiplier=D(1), dial_count=5,
                         expected=D("900"))
    assert c.quantity == D("-49850.0000") and not c.rolled_over


def test_without_an_expectation_a_rollover_must_be_under_a_tenth_of_the_register():
    assert calc.consumption(previous_value=D("9990"), value=D("5"), multiplier=D(1), dial_count=4).rolled_over
    assert not calc.consumption(previous_value=D("9000"), value=D("5"), multiplier=D(1), dial_count=4).rolled_over


def test_after_an_estimate_a_lower_actual_read_is_a_true_up_not_a_rollover():
    c = calc.consumption(previous_value=D("2000"), value=D("1900"), multiplier=D(1), dial_count=5,
                         previous_estimated=True, last_actual_value=D("1000"))
    assert c == calc.Consumption(D("-100.0000"), False)


def test_register_value_after_wraps_at_the_dial_count():
    assert calc.register_value_after(previous_value=D("9990"), usage=D("30"), multiplier=D(1), dial_count=4) == D("20")
    assert calc.register_value_after(previous_value=D("100"), usage=D("400"), multiplier=D(40), dial_count=5) == D("110")


@given(prev=st.integers(0, 99999), usage=st.integers(0, 9999), mult=st.sampled_from([1, 10, 40, 120]))
def test_estimated_register_value_gives_back_its_usage(prev, usage, mult):
    usage = D(usage) * mult
    value = calc.register_value_after(previous_value=D(prev), usage=usage, multiplier=D(mult), dial_count=5)
    c = calc.consumption(previous_value=D(prev), value=value, multiplier=D(mult), dial_count=5, expected=usage)
    assert c.quantity == usage


def spans(daily_by_month: dict[int, int], year: int) -> list[calc.Span]:
    out = []
    for m in range(1, 12):
        start, end = date(year, m, 5), date(year, m + 1, 5)
        out.append(calc.Span(start, end, D(daily_by_month.get(m, 10) * (end - start).days)))
    return out


def test_estimation_prefers_the_same_season_last_year():
    history = spans({1: 50, 10: 12}, 2024)
    e = calc.expected_daily(history, start=date(2025, 1, 5), end=date(2025, 2, 5), class_daily={2: D(99)})
    assert e.basis == "same_season" and e.daily == D(50)


def test_estimation_falls_back_to_recent_history_then_class_average():
    recent = [calc.Span(date(2025, 3, 5), date(2025, 4, 5), D(620)), calc.Span(date(2025, 4, 5), date(2025, 5, 5), D(580))]
    e = calc.expected_daily(recent, start=date(2025, 5, 5), end=date(2025, 6, 5), class_daily={6: D(19)})
    assert e.basis == "recent_history" and e.daily == D(1200) / 61
    e = calc.expected_daily([], start=date(2025, 5, 5), end=date(2025, 6, 5), class_daily={6: D(19)})
    assert e == calc.Expected(D(19), "class_average")
    assert calc.expected_daily([], start=date(2025, 5, 5), end=date(2025, 6, 5)) is None


def test_usage_checks():
    expected = calc.Expected(D(30), "recent_history")
    kw = {"days": 30, "expected": expected, "high_factor": D(3), "low_factor": D("0.25")}
    assert calc.check_usage(usage=D(900), active_service=True, **kw) == []
    assert calc.check_usage(usage=D(2800), active_service=True, **kw) == ["high_usage"]
    assert calc.check_usage(usage=D(200), active_service=True, **kw) == ["low_usage"]
    assert calc.check_usage(usage=D(0), active_service=True, **kw) == ["zero_usage"]
    assert calc.check_usage(usage=D(0), active_service=False, **kw) == []
    assert calc.check_usage(usage=D(-5), active_service=True, **kw) == ["negative_usage"]
