"""Winter-protection and heat-alert payment plan math (RCW 54.16.285, RCW 57.08.081(10)).

Pure: no Django, no database; Decimal in, Decimal out, every amount rounded once to
the cent, half-up, by ``kernel.money.round_money``.

Winter plan (RCW 54.16.285(1)(e), RCW 35.21.300; WAC 365-100-030): the plan pays the
past-due bill by the following **October 15** and may not require monthly payments
above the **ceiling** = 7 % of the customer's monthly income + 1/12 of the arrears
accrued from the application date (and thereafter through March 15). A customer may
agree to pay more, but is in default only when paying less than the ceiling. The
grantee (energy assistance agency) gives the utility a yearly dollar figure that is 7 %
of household income; its twelfth is the 7 %-of-monthly-income part.

Heat repayment plan (RCW 54.16.285(7), RCW 57.08.081(10), RCW 35.21.302): pays the
past-due bill by the following **May 15**, or as soon as possible after it if needed to
keep every payment at or below **6 % of monthly income**; default only when paying less
than that.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from ratepayer.kernel.money import CENT, round_money

WINTER_INCOME_SHARE = Decimal("0.07")
HEAT_INCOME_SHARE = Decimal("0.06")
TWELVE = Decimal(12)


class PlanError(ValueError):
    """An input the plan math cannot use; ``field`` names it."""

    def __init__(self, field_name: str, problem: str):
        self.field, self.problem = field_name, problem
        super().__init__(f"{field_name}: {problem}")


def _amount(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int) or not Decimal(value).is_finite():
        raise PlanError(name, f"{value!r} is not an amount")
    value = Decimal(value)
    if value < 0:
        raise PlanError(name, f"{value} is negative")
    return value


def winter_ceiling(monthly_income: Decimal, arrears_since_application: Decimal) -> Decimal:
    """The most a winter plan may require a month: 7 % of monthly income + arrears / 12."""
    income = _amount("monthly_income", monthly_income)
    arrears = _amount("arrears_since_application", arrears_since_application)
    return round_money(WINTER_INCOME_SHARE * income + arrears / TWELVE)


def winter_ceiling_from_grantee_figure(annual_seven_percent: Decimal, arrears_since_application: Decimal) -> Decimal:
    """The same ceiling from the grantee's yearly 7 %-of-income figure: figure / 12 + arrears / 12."""
    figure = _amount("annual_seven_percent_of_income", annual_seven_percent)
    arrears = _amount("arrears_since_application", arrears_since_application)
    return round_money((figure + arrears) / TWELVE)


def next_on_or_after(day: date, month: int, month_day: int) -> date:
    """The first ``month``/``month_day`` on or after ``day``."""
    candidate = date(day.year, month, month_day)
    return candidate if candidate >= day else date(day.year + 1, month, month_day)


def winter_payoff_date(application_date: date) -> date:
    """The October 15 by which the winter plan pays the past-due bill: the first Oct 15
    after the winter the application falls in (an application before Oct 15 is for the
    coming winter, so its payoff is the Oct 15 of the next year)."""
    oct15 = date(application_date.year, 10, 15)
    return date(application_date.year + 1, 10, 15) if application_date > oct15 or \
        (application_date.month, application_date.day) >= (3, 16) else oct15


def months_between(first: date, last: date) -> int:
    """Monthly installments from ``first`` through ``last`` on the same day of the month
    (a due date on ``last``'s day or earlier in ``last``'s month counts)."""
    count = (last.year - first.year) * 12 + last.month - first.month
    if last.day >= first.day:
        count += 1
    return max(count, 0)


@dataclass(frozen=True)
class WinterPlan:
    monthly_income: Decimal
    seven_percent_of_income: Decimal
    arrears_since_application: Decimal
    arrears_twelfth: Decimal
    ceiling: Decimal
    application_date: date | None
    payoff_by: date | None
    installments_to_payoff: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "monthly_income": str(self.monthly_income),
            "seven_percent_of_income": str(self.seven_percent_of_income),
            "arrears_since_application": str(self.arrears_since_application),
            "arrears_twelfth": str(self.arrears_twelfth),
            "ceiling": str(self.ceiling),
            "application_date": self.application_date.isoformat() if self.application_date else None,
            "payoff_by": self.payoff_by.isoformat() if self.payoff_by else None,
            "installments_to_payoff": self.installments_to_payoff,
            "statute": "RCW 54.16.285(1)(e)",
            "rule": "A plan may not require more than the ceiling a month; a customer paying at least the "
                    "ceiling is not in default even if they agreed to pay more. The past-due bill is paid by "
                    "October 15.",
        }


def winter_plan(monthly_income: Decimal, arrears_since_application: Decimal,
                application_date: date | None = None) -> WinterPlan:
    """The winter plan's ceiling, its parts, and (given the application date) the Oct 15
    payoff date and the number of monthly installments from the application through it."""
    income = round_money(_amount("monthly_income", monthly_income))
    arrears = round_money(_amount("arrears_since_application", arrears_since_application))
    payoff = winter_payoff_date(application_date) if application_date else None
    return WinterPlan(
        monthly_income=income,
        seven_percent_of_income=round_money(WINTER_INCOME_SHARE * income),
        arrears_since_application=arrears,
        arrears_twelfth=round_money(arrears / TWELVE),
        ceiling=winter_ceiling(income, arrears),
        application_date=application_date,
        payoff_by=payoff,
        installments_to_payoff=months_between(application_date, payoff) if application_date and payoff else None,
    )


def winter_in_default(paid: Decimal, installments_due: int, ceiling: Decimal) -> bool:
    """In default only when the total paid is below the ceiling times the installments
    due, whatever larger amount was agreed (RCW 54.16.285(1)(e))."""
    return _amount("paid", paid) < _amount("ceiling", ceiling) * installments_due


@dataclass(frozen=True)
class HeatPlan:
    monthly_income: Decimal
    ceiling: Decimal
    past_due: Decimal
    target_payoff: date
    installments: tuple[tuple[date, Decimal], ...]
    pays_off_on: date | None
    past_target: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "monthly_income": str(self.monthly_income),
            "ceiling": str(self.ceiling),
            "past_due": str(self.past_due),
            "target_payoff": self.target_payoff.isoformat(),
            "pays_off_on": self.pays_off_on.isoformat() if self.pays_off_on else None,
            "past_target": self.past_target,
            "installments": [{"due": due.isoformat(), "amount": str(amount)} for due, amount in self.installments],
            "statute": "RCW 54.16.285(7)",
        }


def add_months(day: date, months: int) -> date:
    """The same day ``months`` months later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def heat_repayment_plan(monthly_income: Decimal, past_due: Decimal, first_due: date) -> HeatPlan:
    """Level monthly installments from ``first_due`` paying ``past_due`` by the next May 15;
    when that would need more than 6 % of monthly income a month, installments of the
    ceiling run past May 15 until it is paid. The ceiling is rounded half-up to the cent;
    the level installment is the past-due divided evenly and cut to the cent, and the
    last installment takes the cents left over, so the installments always sum to the
    past-due amount exactly and none is below a cent or above the ceiling."""
    income = round_money(_amount("monthly_income", monthly_income))
    owed = round_money(_amount("past_due", past_due))
    ceiling = round_money(HEAT_INCOME_SHARE * income)
    target = next_on_or_after(first_due, 5, 15)
    months = max(months_between(first_due, target), 1)
    if owed == 0:
        return HeatPlan(income, ceiling, owed, target, (), None, False)
    count = min(months, int(owed * 100))  # never an installment of less than a cent
    level = (owed / count).quantize(CENT, rounding=ROUND_DOWN)
    if owed - level * (count - 1) > ceiling:
        if ceiling == 0:
            raise PlanError("monthly_income", "6% of a zero income is $0.00; no plan can pay the balance")
        level = ceiling
        count = int((owed / ceiling).to_integral_value(rounding=ROUND_CEILING))
    amounts = [level] * (count - 1) + [owed - level * (count - 1)]
    installments = tuple((add_months(first_due, index), amount) for index, amount in enumerate(amounts))
    pays_off_on = installments[-1][0]
    return HeatPlan(income, ceiling, owed, target, installments, pays_off_on, pays_off_on > target)
