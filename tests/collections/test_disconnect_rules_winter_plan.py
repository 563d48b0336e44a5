"""The winter-protection and heat repayment plan math, worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratepayer.collections.winter_plan import (
    PlanError,
    heat_repayment_plan,
    winter_ceiling,
    winter_ceiling_from_grantee_figure,
    winter_in_default,
    winter_payoff_date,
    winter_plan,
)


def test_the_winter_ceiling_worked_by_hand():
    # 7% of $2,150.00 = $150.50; $312.40 / 12 = $26.0333...; together $176.5333 -> $176.53.
    assert winter_ceiling(Decimal("2150.00"), Decimal("312.40")) == Decimal("176.53")
    # The grantee's yearly figure, 7% of $25,800.00 = $1,806.00, gives the same ceiling.
    assert winter_ceiling_from_grantee_figure(Decimal("1806.00"), Decimal("312.40")) == Decimal("176.53")


def test_the_ceiling_rounds_half_up_once():
    # 7% of $100.50 = $7.035 -> $7.04 (half-up), no arrears.
    assert winter_ceiling(Decimal("100.50"), Decimal("0")) == Decimal("7.04")
    # 7% of $1,000.00 = $70.00 plus $0.06 / 12 = $0.005 -> $70.01: one rounding of the sum.
    assert winter_ceiling(Decimal("1000.00"), Decimal("0.06")) == Decimal("70.01")


def test_default_is_judged_against_the_ceiling_not_the_agreed_amount():
    assert not winter_in_default(Decimal("529.59"), 3, Decimal("176.53"))
    assert winter_in_default(Decimal("529.58"), 3, Decimal("176.53"))


@pytest.mark.parametrize("applied, payoff", [
    (date(2026, 11, 20), date(2027, 10, 15)),
    (date(2027, 1, 5), date(2027, 10, 15)),
    (date(2027, 3, 15), date(2027, 10, 15)),
    (date(2027, 10, 1), date(2028, 10, 15)),  # applied after the overdue notice, before the winter
    (date(2027, 10, 16), date(2028, 10, 15)),
])
def test_the_october_15_payoff(applied, payoff):
    assert winter_payoff_date(applied) == payoff


def test_the_winter_plan_summary():
    plan = winter_plan(Decimal("2150"), Decimal("312.40"), date(2026, 11, 20)).as_dict()
    assert plan["seven_percent_of_income"] == "150.50"
    assert plan["arrears_twelfth"] == "26.03"
    assert plan["ceiling"] == "176.53"
    assert plan["payoff_by"] == "2027-10-15"
    # Nov 20 ... Sep 20: eleven monthly installments before Oct 15.
    assert plan["installments_to_payoff"] == 11


def test_negative_inputs_are_refused_naming_the_field():
    with pytest.raises(PlanError) as refused:
        winter_ceiling(Decimal("-1"), Decimal("0"))
    assert refused.value.field == "monthly_income"


def test_a_heat_plan_that_fits_under_six_percent_ends_by_may_15():
    # 6% of $2,000.00 = $120.00. $500.00 over Jul 20 ... Apr 20 (ten installments) = $50.00 each.
    plan = heat_repayment_plan(Decimal("2000.00"), Decimal("500.00"), date(2026, 7, 20))
    assert plan.ceiling == Decimal("120.00")
    assert [amount for _, amount in plan.installments] == [Decimal("50.00")] * 10
    assert plan.pays_off_on == date(2027, 4, 20) and not plan.past_target


def test_a_heat_plan_runs_past_may_15_to_stay_under_six_percent():
    # 6% of $1,000.00 = $60.00; $1,000.00 by May 15 from Mar 1 would need $333.34 a month,
    # so sixteen installments of $60.00 and a last one of $40.00 (Mar 2027 ... Jul 2028).
    plan = heat_repayment_plan(Decimal("1000.00"), Decimal("1000.00"), date(2027, 3, 1))
    amounts = [amount for _, amount in plan.installments]
    assert amounts == [Decimal("60.00")] * 16 + [Decimal("40.00")]
    assert plan.pays_off_on == date(2028, 7, 1) and plan.past_target


def test_the_last_heat_installment_takes_the_rounding():
    # $100.00 over three installments (Mar 1, Apr 1, May 1): $33.33, $33.33, $33.34.
    plan = heat_repayment_plan(Decimal("3000.00"), Decimal("100.00"), date(2027, 3, 1))
    assert [amount for _, amount in plan.installments] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


cents = st.integers(min_value=0, max_value=5_000_000).map(lambda c: Decimal(c) / 100)


@given(income=st.integers(min_value=1_000, max_value=2_000_000).map(lambda c: Decimal(c) / 100),
       past_due=cents,
       first_due=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 28)))
def test_heat_installments_sum_to_the_past_due_and_never_exceed_six_percent(income, past_due, first_due):
    plan = heat_repayment_plan(income, past_due, first_due)
    amounts = [amount for _, amount in plan.installments]
    assert sum(amounts, Decimal("0")) == plan.past_due
    assert all(Decimal("0") < amount <= plan.ceiling for amount in amounts)
    assert all(amount == amount.quantize(Decimal("0.01")) for amount in amounts)
    dues = [due for due, _ in plan.installments]
    assert dues == sorted(set(dues))


@given(income=cents, arrears=cents)
def test_the_ceiling_is_within_half_a_cent_of_the_exact_figure(income, arrears):
    exact = Decimal("0.07") * income + arrears / 12
    assert abs(winter_ceiling(income, arrears) - exact) <= Decimal("0.005")
