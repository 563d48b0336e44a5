"""Amortization of long-term contracts — pure Decimal arithmetic, no Django.

The schedule (a level-payment loan, monthly):

- the monthly rate is the annual percentage / 1200 (12 equal months, no day count);
- the level payment is ``P·r / (1 − (1 + r)^−n)`` (``P / n`` at 0 %), rounded half-up
  to the cent once;
- each month's interest is the balance × the monthly rate, rounded half-up to the cent
  (``kernel.money.round_money``); the principal part is the payment less that interest;
- the last installment is whatever principal is left plus its interest, so it absorbs
  every rounding and the principal parts add up to the principal exactly; a schedule
  whose payment reaches the balance earlier ends there (only for principals of a few
  cents over many months).

Installment *k* falls due on the first due date's day of month, *k − 1* months later
(the 31st becomes the month's last day). The loan is dated one month before the
first installment: interest runs from then.

A payoff quote on a date is the principal not yet billed plus interest accrued on it
since the last installment due on or before that date (or since the loan date):
actual days elapsed × balance × annual rate / 365, rounded half-up to the cent once.

A prepayment *shortens* the contract: the level payment stays and the remaining
principal is repaid in fewer months (``schedule(..., payment=...)``); ``reamortize``
keeps the remaining number of months and lowers the payment instead, for a utility
whose policy prefers that.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from ratepayer.kernel.money import round_money, to_decimal

ZERO = Decimal("0.00")

# kind -> (most months, the law that sets it)
TERM_LIMITS: dict[str, tuple[int, str]] = {
    "sewer_connection": (180, "RCW 57.08.005(11) (connection charges in installments over at most fifteen years)"),
    "conservation_loan": (240, "RCW 54.16.280 (conservation loans shall not exceed two hundred forty months)"),
}
# no statute limits a long-term contract for a past-due balance; ratepayer stops at 30 years
GENERAL_LIMIT = 360
MAX_RATE = Decimal("25")


class AmortizationError(ValueError):
    """A contract's terms that cannot be scheduled: ``field`` names the input."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: date
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance_after: Decimal

    def as_dict(self) -> dict:
        return {"number": self.number, "due_date": self.due_date.isoformat(), "payment": str(self.payment),
                "principal": str(self.principal), "interest": str(self.interest),
                "balance_after": str(self.balance_after)}


def add_months(day: date, months: int) -> date:
    """The same day of month ``months`` later (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_terms(*, principal: object, annual_rate: object, months: int, kind: str = "") -> tuple[Decimal, Decimal]:
    """Refuse terms that cannot be a contract; returns (principal, annual_rate) as Decimals.

    More months than the law allows for ``kind`` is refused with the statute named."""
    principal, annual_rate = to_decimal(principal), to_decimal(annual_rate)
    if principal <= 0 or round_money(principal) != principal:
        raise AmortizationError("principal", f"The principal must be a positive amount in cents, not {principal}.")
    if annual_rate < 0 or annual_rate > MAX_RATE:
        raise AmortizationError("annual_rate", f"The annual rate must be between 0 and {MAX_RATE} percent, "
                                               f"not {annual_rate}.")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise AmortizationError("months", f"The term must be a whole number of months, at least 1, not {months!r}.")
    if kind in TERM_LIMITS:
        limit, law = TERM_LIMITS[kind]
        if months > limit:
            raise AmortizationError("months", f"{months} months is longer than the law allows for this contract: "
                                              f"at most {limit} months under {law}.")
    elif months > GENERAL_LIMIT:
        raise AmortizationError("months", f"{months} months is longer than ratepayer schedules "
                                          f"(at most {GENERAL_LIMIT} months).")
    return principal, annual_rate


def monthly_rate(annual_rate: Decimal) -> Decimal:
    return to_decimal(annual_rate) / Decimal(1200)


def level_payment(principal: object, annual_rate: object, months: int) -> Decimal:
    """The level monthly payment, rounded half-up to the cent."""
    principal = to_decimal(principal)
    with localcontext() as context:
        context.prec = 40
        rate = monthly_rate(to_decimal(annual_rate))
        if rate == 0:
            return round_money(principal / months)
        return round_money(principal * rate / (1 - (1 + rate) ** -months))


def schedule(principal: object, annual_rate: object, months: int, first_due: date, *,
             payment: Decimal | None = None, first_number: int = 1) -> list[Installment]:
    """The installments that repay ``principal`` in at most ``months`` months.

    ``payment`` keeps a given monthly payment (a prepayment that shortens the term);
    without it the level payment for ``months`` is used. ``first_number`` numbers the
    rows of a schedule redrawn part-way through a contract."""
    principal, annual_rate = to_decimal(principal), to_decimal(annual_rate)
    payment = level_payment(principal, annual_rate, months) if payment is None else to_decimal(payment)
    rate = monthly_rate(annual_rate)
    rows: list[Installment] = []
    balance = principal
    for k in range(months):
        interest = round_money(balance * rate)
        last = k == months - 1 or payment - interest >= balance
        part = balance if last else payment - interest
        balance -= part
        rows.append(Installment(first_number + k, add_months(first_due, k), part + interest, part, interest, balance))
        if last:
            break
    return rows


def reamortize(balance: object, annual_rate: object, remaining_months: int, next_due: date, *,
               first_number: int = 1) -> list[Installment]:
    """Keep the number of months left and recompute the level payment on ``balance``."""
    return schedule(balance, annual_rate, remaining_months, next_due, first_number=first_number)


def accrued_interest(balance: object, annual_rate: object, since: date, on: date) -> Decimal:
    """Interest on ``balance`` from ``since`` to ``on``: actual days / 365, half-up to the cent."""
    days = (on - since).days
    if days <= 0:
        return ZERO
    return round_money(to_decimal(balance) * to_decimal(annual_rate) / 100 * days / 365)


@dataclass(frozen=True)
class PayoffQuote:
    on: date
    principal_outstanding: Decimal
    interest_accrued: Decimal
    interest_since: date

    @property
    def total(self) -> Decimal:
        return self.principal_outstanding + self.interest_accrued

    def as_dict(self) -> dict:
        return {"date": self.on.isoformat(), "principal_outstanding": str(self.principal_outstanding),
                "interest_accrued": str(self.interest_accrued), "interest_since": self.interest_since.isoformat(),
                "total": str(self.total)}


def payoff_quote(principal: object, annual_rate: object, installments: list[Installment], on: date) -> PayoffQuote:
    """What pays the contract off on ``on`` when every installment due by then was
    paid (principal less their principal parts) plus interest accrued since the last
    of them (or since the loan date, a month before the first)."""
    principal = to_decimal(principal)
    due = [row for row in installments if row.due_date <= on]
    outstanding = principal - sum((row.principal for row in due), ZERO)
    since = due[-1].due_date if due else add_months(installments[0].due_date, -1)
    interest = accrued_interest(outstanding, annual_rate, since, on) if outstanding > 0 else ZERO
    return PayoffQuote(on, outstanding, interest, since)
