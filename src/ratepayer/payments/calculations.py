"""Pure arithmetic for applying payments (no database).

A payment is applied to open charges. The open charges of a service agreement
come from its receivable lines first-in first-out: credits (payments,
adjustments) pay the oldest debits first, so what is left open is the newest
part of the debits. Those open items, from every agreement on the account, are
paid in the policy's order:

- ``oldest_first``: by charge date, then service priority;
- ``service_priority``: by service priority, then charge date.

Whatever is left after every open item is paid is an overpayment: it stays on
the account as a credit balance on the highest-priority agreement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class OpenItem:
    agreement_id: int
    service: str
    charged_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Application:
    agreement_id: int
    amount: Decimal
    oldest_charge_on: date | None


def open_items(agreement_id: int, service: str, lines: Iterable[tuple[date, Decimal, Decimal]]) -> list[OpenItem]:
    """Open (unpaid) charges of one agreement from its receivable lines
    (effective date, debit, credit), oldest first."""
    debits: list[tuple[date, Decimal]] = []
    credits = ZERO
    for day, debit, credit in lines:
        if debit:
            debits.append((day, debit))
        credits += credit
    debits.sort(key=lambda d: d[0])
    items = []
    for day, amount in debits:
        if credits >= amount:
            credits -= amount
            continue
        items.append(OpenItem(agreement_id, service, day, amount - credits))
        credits = ZERO
    return items


def apply_payment(amount: Decimal, items: Sequence[OpenItem], *, order: str, priority: Sequence[str],
                  credit_agreement_id: int) -> tuple[list[Application], list[OpenItem]]:
    """Split ``amount`` over ``items`` in the policy's order; the rest is a
    credit on ``credit_agreement_id``. The applications sum to ``amount``.
    Returns the applications and the items still open afterwards."""
    if amount <= 0:
        raise ValueError("a payment amount must be positive")
    rank = {service: i for i, service in enumerate(priority)}

    def priority_of(item: OpenItem) -> int:
        return rank.get(item.service, len(rank))

    if order == "service_priority":
        ordered = sorted(items, key=lambda i: (priority_of(i), i.charged_on, i.agreement_id))
    else:
        ordered = sorted(items, key=lambda i: (i.charged_on, priority_of(i), i.agreement_id))
    remaining = amount
    totals: dict[int, Decimal] = {}
    oldest: dict[int, date] = {}
    still_open: list[OpenItem] = []
    for item in ordered:
        if remaining <= 0:
            still_open.append(item)
            continue
        paid = min(item.amount, remaining)
        totals[item.agreement_id] = totals.get(item.agreement_id, ZERO) + paid
        oldest.setdefault(item.agreement_id, item.charged_on)
        remaining -= paid
        if paid < item.amount:
            still_open.append(OpenItem(item.agreement_id, item.service, item.charged_on, item.amount - paid))
    if remaining > 0:
        totals[credit_agreement_id] = totals.get(credit_agreement_id, ZERO) + remaining
    applications = [Application(agreement_id, total, oldest.get(agreement_id)) for agreement_id, total in totals.items()]
    return applications, still_open


def denomination_total(count: dict[str, int]) -> Decimal:
    """Σ denomination × quantity for a drawer count like {"20.00": 3, "0.25": 8}."""
    total = ZERO
    for denomination, quantity in count.items():
        value = Decimal(denomination)
        if value <= 0 or int(quantity) < 0:
            raise ValueError(f"{denomination}: a count needs a positive denomination and a quantity of 0 or more")
        total += value * int(quantity)
    return total.quantize(Decimal("0.01"))


CASH_DENOMINATIONS = ["100.00", "50.00", "20.00", "10.00", "5.00", "2.00", "1.00", "0.50", "0.25", "0.10", "0.05",
                      "0.01"]


def deposit_interest(movements: Sequence[tuple[date, Decimal]], rates: Sequence[tuple[date, Decimal]],
                     through: date) -> Decimal:
    """Simple interest on a security deposit from each receipt to ``through``
    (DOMAIN §A.6.2): the principal held (receipts +, payouts −) earns the
    annual percentage rate in force each day, actual days over the days of
    that year; rounded to the cent once, at the end, so accruing often or
    rarely gives the same total. ``rates`` are (effective from, percent)."""
    if not movements:
        return ZERO
    changes = sorted(movements)
    start = changes[0][0]
    if through <= start:
        return ZERO
    ordered_rates = sorted(rates)
    cuts = {start, through}
    cuts.update(day for day, _ in changes if start < day < through)
    cuts.update(day for day, _ in ordered_rates if start < day < through)
    cuts.update(date(year, 1, 1) for year in range(start.year + 1, through.year + 1))
    points = sorted(cuts)
    total = Decimal(0)
    principal = Decimal(0)
    moved = 0
    rate_index = -1
    for left, right in zip(points, points[1:], strict=False):
        while moved < len(changes) and changes[moved][0] <= left:
            principal += changes[moved][1]
            moved += 1
        while rate_index + 1 < len(ordered_rates) and ordered_rates[rate_index + 1][0] <= left:
            rate_index += 1
        if principal <= 0 or rate_index < 0:
            continue
        days_in_year = (date(left.year + 1, 1, 1) - date(left.year, 1, 1)).days
        total += principal * ordered_rates[rate_index][1] / 100 * (right - left).days / days_in_year
    return total.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
