"""What the engine returns: bill lines and bills, one meter's (``Bill``, in
Decimal) or many meters' at once (``BatchBill``, integer arrays per line).

A line's amount is always its quantity (4 places) times its rate (up to 8
places) rounded half-up to the cent, once; a bill's total is the sum of its
lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np

from ratepayer.kernel.periods import Period

from .exact import RATE_SCALE
from .usage import RatingError


class BillLine(NamedTuple):
    """One bill line (immutable). amount = round_half_up(quantity x rate)."""

    kind: str
    description: str
    quantity: Decimal
    unit: str
    rate: Decimal
    amount: Decimal
    component: str = ""
    tou: str | None = None
    block: int | None = None
    part: int = 0

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "description": self.description,
            "quantity": plain_number(self.quantity),
            "unit": self.unit,
            "rate": rate_text(self.rate),
            "amount": f"{self.amount:.2f}",
        }


@dataclass(frozen=True)
class Bill:
    period: Period
    lines: tuple[BillLine, ...]
    total: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "lines": [line.as_dict() for line in self.lines],
            "total": f"{self.total:.2f}",
        }


def plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def rate_text(value: Decimal) -> str:
    """A rate with every place it has (up to 8) and at least two."""
    text = format(value.normalize(), "f")
    if "." not in text:
        return text + ".00"
    whole, fraction = text.split(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def rate_decimal(scaled_rate: int) -> Decimal:
    """A scaled rate as a Decimal: 6 places (as bills always showed them)
    unless the tariff quotes 7 or 8."""
    if scaled_rate % 100 == 0:
        return Decimal(scaled_rate // 100).scaleb(-6)
    return Decimal(scaled_rate).scaleb(-8)


@dataclass
class LineBatch:
    """One bill line for M meters: int arrays, scaled (quantity 1e-4, rate
    1e-8 dollars, amount cents). ``parts`` are the indices of the bill
    period's parts the line covers (one unless the charge is unchanged
    across a split); ``part`` is the first of them."""

    kind: str
    description: str
    unit: str
    component: str
    quantity: np.ndarray
    rate: np.ndarray
    amount: np.ndarray
    part: int = 0
    keep_zero: bool | np.ndarray = False
    """Print the line even at zero quantity (the first block): for every meter, or per meter."""
    tou: str | None = None
    block: int | None = None
    parts: tuple[int, ...] = ()


@dataclass
class BatchBill:
    period: Period
    lines: list[LineBatch]
    meters: int

    @property
    def total_cents(self) -> np.ndarray:
        big = any(line.amount.dtype == object for line in self.lines)
        total = np.zeros(self.meters, dtype=object if big else np.int64)
        for line in self.lines:
            total = total + line.amount
        return total

    def totals(self) -> list[Decimal]:
        return [Decimal(int(c)).scaleb(-2) for c in self.total_cents]

    def bill(self, i: int) -> Bill:
        return self._bills([i])[0]

    def bills(self) -> list[Bill]:
        """Every meter's Bill (Decimal lines), in meter order."""
        return self._bills(range(self.meters))

    def _bills(self, meters: Sequence[int] | range) -> list[Bill]:
        columns = []
        for line in self.lines:
            rates = line.rate.tolist()
            same_rate = len(rates) > 0 and bool(np.all(line.rate == rates[0]))
            columns.append((line, line.quantity.tolist(), rates, line.amount.tolist(),
                            rate_decimal(int(rates[0])) if same_rate else None))
        out = []
        for i in meters:
            lines = []
            total = 0
            for line, quantities, rates, amounts, shared_rate in columns:
                quantity = quantities[i]
                amount = amounts[i]
                keep_zero = line.keep_zero if isinstance(line.keep_zero, bool) else bool(line.keep_zero[i])
                if amount == 0 and (quantity == 0 and not keep_zero or line.kind == "minimum"):
                    continue
                total += amount
                lines.append(BillLine(
                    line.kind, line.description, Decimal(int(quantity)).scaleb(-4), line.unit,
                    shared_rate if shared_rate is not None else rate_decimal(int(rates[i])),
                    Decimal(int(amount)).scaleb(-2), line.component, line.tou, line.block, line.part))
            out.append(Bill(period=self.period, lines=tuple(lines), total=Decimal(int(total)).scaleb(-2)))
        return out


def concat_batches(pieces: list[BatchBill]) -> BatchBill:
    """One BatchBill from chunks of meters rated separately (same lines)."""
    if len(pieces) == 1:
        return pieces[0]
    first = pieces[0]
    lines = []
    for j, line in enumerate(first.lines):
        same = [p.lines[j] for p in pieces]
        if any(p.description != line.description or p.kind != line.kind for p in same):
            raise RatingError("internal: meter chunks produced different bill structures")
        lines.append(LineBatch(
            line.kind, line.description, line.unit, line.component,
            np.concatenate([p.quantity for p in same]),
            np.concatenate([p.rate for p in same]),
            np.concatenate([p.amount for p in same]),
            line.part, _concat_keep_zero(line.keep_zero, same),
            line.tou, line.block, line.parts))
    return BatchBill(first.period, lines, sum(p.meters for p in pieces))


def _concat_keep_zero(first: bool | np.ndarray, lines: list[LineBatch]) -> bool | np.ndarray:
    if isinstance(first, bool):
        return first
    return np.concatenate([np.broadcast_to(line.keep_zero, (len(line.amount),)) for line in lines])


assert RATE_SCALE == 10**8  # rate_decimal assumes 8 places
