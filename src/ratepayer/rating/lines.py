"""Line building: a tariff's charges turned into bill lines for M meters.

``LineBuilder.build`` bills, in document order, every fixed, energy/volume
and demand charge over its spans (``proration.charge_spans``: the parts of
the period in which the charge is unchanged), then the minimum charge, then
riders and taxes. Every line is ``quantity x rate`` rounded half-up to the
cent once (``exact.amount_cents``); a credit is a line of kind ``credit``
with a negative rate. The minimum line is ``max(0, minimum - regular)``, both
in cents; a percent rider is a percent of the cents of the lines it selects.

Proration across a split: fixed charges go by the span's days (per day), its
share of calendar months (per month) or of the regular bill (per bill);
block limits are prorated by the span's days; demand, measured once over the
period, is charged in each span by its share of the period's days.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from ratepayer.kernel.periods import Period

from .bills import BatchBill, LineBatch, rate_text
from .demand import billing_demand
from .exact import (
    QUANTITY_SCALE,
    RATE_SCALE,
    allocate_exact,
    allocate_largest_remainder,
    amount_cents,
    derived_rate,
    div_round,
    filled,
    multiply,
    scaled,
)
from .model import Block, DemandCharge, EnergyCharge, FixedCharge, MinimumCharge, Rider, Tariff
from .proration import Part, Span, applies, charge_spans, month_fraction
from .register import Measures
from .usage import RatingError, ServiceInfo

_GALLONS_PER_UNIT = {"gal": Fraction(1), "kgal": Fraction(1000)}


def unit_factor(tariff: Tariff, from_unit: str, to_unit: str) -> Fraction:
    """Exact factor from the usage's unit to the charge's unit."""
    if from_unit == to_unit:
        return Fraction(1)
    gallons_per_ccf = Fraction(tariff.gallons_per_ccf)
    table = dict(_GALLONS_PER_UNIT)
    table["CCF"] = gallons_per_ccf
    table["cf"] = gallons_per_ccf / 100
    if from_unit in table and to_unit in table:
        return table[from_unit] / table[to_unit]
    raise RatingError(f"usage is in {from_unit} but the tariff charges per {to_unit}; no conversion")


def convert(quantity: np.ndarray, factor: Fraction) -> np.ndarray:
    if factor == 1:
        return quantity
    return div_round(multiply(quantity, np.int64(factor.numerator)), factor.denominator)


def quantity_text(value: Decimal | int) -> str:
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def block_labels(blocks: list[Block], unit: str, per: str) -> list[str]:
    suffix = {"period": "", "day": "/day", "month": "/month", "kw": " per kW"}[per]
    if len(blocks) == 1:
        return [""]
    labels = []
    lower: Decimal | None = None
    for i, block in enumerate(blocks):
        if i == 0:
            labels.append(f"first {quantity_text(block.upto or 0)} {unit}{suffix}")
        elif block.upto is None:
            labels.append(f"over {quantity_text(lower or 0)} {unit}{suffix}")
        else:
            labels.append(f"next {quantity_text(block.upto - (lower or 0))} {unit}{suffix}")
        lower = block.upto
    return labels


def split_blocks(quantity: np.ndarray, limits: list[np.ndarray]) -> list[np.ndarray]:
    """Quantity in each block; limits are cumulative upper bounds (one fewer
    than blocks)."""
    out = []
    lower: np.ndarray | int = 0
    for i in range(len(limits) + 1):
        piece = np.clip(quantity - lower, 0, None)
        if i < len(limits):
            piece = np.minimum(piece, np.maximum(limits[i] - lower, 0))
            lower = limits[i]
        out.append(piece)
    return out


class LineBuilder:
    """The lines of one bill period for M meters that share a tariff."""

    def __init__(self, tariff: Tariff, period: Period, parts: list[Part], measures: Measures,
                 services: Sequence[ServiceInfo], regular_days: int | None):
        self.tariff = tariff
        self.period = period
        self.parts = parts
        self.measures = measures
        self.meters = measures.meters
        self.services = services
        self.regular_days = regular_days or period.days
        self.lines: list[LineBatch] = []
        self._billing_demand: dict[Any, np.ndarray] = {}
        self._part_shares: dict[str, list[int]] = {}
        self._peak: np.ndarray | None = None

    # -- helpers
    def dates(self, span: Span) -> str:
        """The span's dates for a line's text, when the line is not for the whole period."""
        if span.period == self.period:
            return ""
        return f" ({span.period.start.isoformat()} to {span.period.end.isoformat()})"

    def add(self, kind: str, description: str, unit: str, component: str, quantity: np.ndarray,
            rate: np.ndarray | int, span: Span, keep_zero: bool | np.ndarray = False, tou: str | None = None,
            block: int | None = None) -> LineBatch:
        quantity = np.asarray(quantity)
        rates = filled(self.meters, rate) if isinstance(rate, int) else np.asarray(rate)
        line = LineBatch(kind, description, unit, component, quantity, rates, amount_cents(quantity, rates),
                         span.first.index, keep_zero, tou, block, span.indices)
        self.lines.append(line)
        return line

    def tou_label(self, name: str) -> str:
        return self.tariff.tou_period(name).description or name

    def peak(self) -> np.ndarray:
        if self._peak is None:
            self._peak = self.measures.demand(self.parts, None, None)
        return self._peak

    def by_service(self, charge: str, attribute: str, table: dict[str, Any]) -> list[str]:
        """Each meter's key into a table by meter size or size class."""
        keys = []
        for i, service in enumerate(self.services):
            key = getattr(service, attribute)
            if key is None:
                raise RatingError(f"{charge}: the charge depends on {attribute} but meter {i} has none; "
                                  f"known: {sorted(table)}")
            if str(key) not in table:
                raise RatingError(f"{charge}: no amount for {attribute} {key!r}; known: {sorted(table)}")
            keys.append(str(key))
        return keys

    def span_share(self, basis: str, span: Span) -> int:
        """Months (calendar fraction) or bills (days / regular days) of a span,
        at 4 places. Each part's share is allocated by largest remainder so the
        parts add up to the whole period's quantity; a span sums its parts."""
        if basis not in self._part_shares:
            if basis == "month":
                exact = [month_fraction(p.period) for p in self.parts]
            else:
                exact = [Fraction(p.period.days, self.regular_days) for p in self.parts]
            total = scaled(sum(exact, Fraction(0)), QUANTITY_SCALE)
            self._part_shares[basis] = allocate_exact(total, [f * QUANTITY_SCALE for f in exact])
        return sum(self._part_shares[basis][i] for i in span.indices)

    def block_limits(self, blocks: list[Block], per: str, span: Span) -> list[np.ndarray]:
        limits = []
        for block in blocks[:-1]:
            assert block.upto is not None
            if per == "period":
                value = scaled(Fraction(block.upto) * Fraction(span.days, self.regular_days), QUANTITY_SCALE)
                limits.append(filled(self.meters, value))
            elif per == "day":
                limits.append(filled(self.meters, scaled(block.upto * span.days, QUANTITY_SCALE)))
            elif per == "month":
                value = scaled(Fraction(block.upto) * month_fraction(span.period), QUANTITY_SCALE)
                limits.append(filled(self.meters, value))
            else:  # per kW of the period's peak demand
                upto = scaled(block.upto, QUANTITY_SCALE)
                limits.append(div_round(multiply(self.peak(), np.int64(upto)), QUANTITY_SCALE))
        return limits

    # -- charges
    def fixed(self, charge: FixedCharge, span: Span) -> None:
        if charge.amount is not None:
            amounts = [charge.amount] * self.meters
        else:
            assert charge.amounts is not None and charge.amounts_by is not None
            amounts = [charge.amounts[key] for key in self.by_service(charge.name, charge.amounts_by, charge.amounts)]
        sign = -1 if charge.kind == "credit" else 1
        multiplier = np.ones(self.meters, dtype=np.int64)
        if charge.multiply_by is not None:
            multiplier = np.array([getattr(s, charge.multiply_by) for s in self.services], dtype=np.int64)
        rates = _rates(amounts, sign)
        label = charge.description or charge.name
        each = {"meters": " per meter", "dwelling_units": " per dwelling unit", None: ""}[charge.multiply_by]
        if charge.per == "day":
            quantity = multiplier * span.days * QUANTITY_SCALE
            self.add(charge.kind, f"{label}{each}{self.dates(span)}", "days", charge.name, quantity, rates, span)
            return
        if charge.per == "month":
            whole_months = month_fraction(span.period).denominator == 1
            if charge.proration == "thirty_day" and not whole_months:
                # Tacoma practice (DOMAIN A.12): the daily amount rounded to the cent first
                per_day = [(Decimal(a) / 30).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if charge.round_daily
                           else derived_rate(Decimal(a) / 30) for a in amounts]
                quantity = multiplier * span.days * QUANTITY_SCALE
                self.add(charge.kind, f"{label}{each}, {span.days} of 30 days{self.dates(span)}", "days",
                         charge.name, quantity, _rates(per_day, sign), span)
                return
            quantity = multiplier * self.span_share("month", span)
            self.add(charge.kind, f"{label}{each}{self.dates(span)}", "months", charge.name, quantity, rates, span)
            return
        quantity = multiplier * self.span_share("bill", span)
        self.add(charge.kind, f"{label}{each}{self.dates(span)}", "bills", charge.name, quantity, rates, span)

    def energy(self, charge: EnergyCharge, span: Span) -> None:
        factor = unit_factor(self.tariff, self.measures.unit, charge.unit)
        label = charge.description or charge.name
        unit = charge.unit
        if charge.tou is None:
            quantity = convert(self.measures.energy(span, None)[None], factor)
            if charge.quantity != "usage":
                quantity = self.winter_quantity(charge, span, quantity)
            charged: bool | np.ndarray = True
            if charge.blocks is not None:
                blocks = charge.blocks
                rates: list[np.ndarray | int] = [scaled(b.rate, RATE_SCALE) for b in blocks]
            else:
                assert charge.blocks_for is not None and charge.blocks_by is not None
                keys = self.by_service(charge.name, charge.blocks_by, charge.blocks_for)
                blocks = charge.blocks_for[keys[0]]
                rates = [np.array([scaled(charge.blocks_for[k][b].rate, RATE_SCALE) for k in keys], dtype=np.int64)
                         for b in range(len(blocks))]
                # a meter size (or class) this charge does not apply to is billed no quantity
                charged = np.array([any(b.rate != 0 for b in charge.blocks_for[k]) for k in keys])
                quantity = np.where(charged, quantity, 0)
            labels = block_labels(blocks, unit, charge.block_limit_per)
            pieces = split_blocks(quantity, self.block_limits(blocks, charge.block_limit_per, span))
            for b, (piece, rate, text) in enumerate(zip(pieces, rates, labels, strict=True)):
                description = f"{label}{', ' + text if text else ''}{self.dates(span)}"
                self.add("energy", description, unit, charge.name, piece, rate, span,
                         keep_zero=charged if b == 0 else False, block=b)
            return
        names = list(charge.tou)
        by_period = {k: convert(v, factor) for k, v in self.measures.energy(span, names).items()}
        if charge.tier_basis == "period" or all(len(b) == 1 for b in charge.tou.values()):
            for t in names:
                blocks = charge.tou[t]
                labels = block_labels(blocks, unit, charge.block_limit_per)
                pieces = split_blocks(by_period[t], self.block_limits(blocks, charge.block_limit_per, span))
                for b, (block, piece, text) in enumerate(zip(blocks, pieces, labels, strict=True)):
                    description = f"{label}, {self.tou_label(t)}{', ' + text if text else ''}{self.dates(span)}"
                    self.add("energy", description, unit, charge.name, piece, scaled(block.rate, RATE_SCALE), span,
                             keep_zero=(b == 0), tou=t, block=b)
            return
        # tier_basis total: limits on the total, each block shared by use
        first = charge.tou[names[0]]
        total = sum((by_period[t] for t in names), np.zeros(self.meters, dtype=np.int64))
        tiers = split_blocks(total, self.block_limits(first, charge.block_limit_per, span))
        labels = block_labels(first, unit, charge.block_limit_per)
        weights = [np.clip(by_period[t], 0, None) for t in names]
        for b, tier_total in enumerate(tiers):
            shares = allocate_largest_remainder(tier_total, weights)
            for t, share in zip(names, shares, strict=True):
                text = labels[b]
                description = f"{label}, {self.tou_label(t)}{', ' + text if text else ''}{self.dates(span)}"
                self.add("energy", description, unit, charge.name, share, scaled(charge.tou[t][b].rate, RATE_SCALE),
                         span, keep_zero=(b == 0), tou=t, block=b)

    def winter_quantity(self, charge: EnergyCharge, span: Span, usage: np.ndarray) -> np.ndarray:
        values = []
        for i, service in enumerate(self.services):
            if service.winter_average_daily is None:
                if charge.without_winter_average == "usage":
                    values.append(int(usage[i]))  # no winter history yet: this period's use
                    continue
                raise RatingError(f"{charge.name}: billed on winter average, but meter {i} has no winter average")
            values.append(scaled(service.winter_average_daily * span.days, QUANTITY_SCALE))
        winter = np.array(values, dtype=np.int64)
        if charge.quantity == "winter_average":
            return winter
        return np.minimum(winter, usage)

    def demand(self, charge: DemandCharge, span: Span) -> None:
        key = (charge.name, charge.window, charge.interval_minutes)
        if key not in self._billing_demand:
            charged_in = [p for p in self.parts
                          if any(c.name == charge.name and applies(c, p) for c in p.version.components)]
            measured = self.measures.demand(charged_in, charge.window, charge.interval_minutes)
            self._billing_demand[key] = billing_demand(charge, measured, self.services)
        demand = self._billing_demand[key]
        label = charge.description or charge.name
        labels = block_labels(charge.blocks, "kW", "period")
        limits = [filled(self.meters, scaled(b.upto or 0, QUANTITY_SCALE)) for b in charge.blocks[:-1]]
        share = Fraction(span.days, self.period.days)
        for b, (block, piece, text) in enumerate(zip(charge.blocks, split_blocks(demand, limits), labels,
                                                     strict=True)):
            quantity = piece if share == 1 else div_round(multiply(piece, np.int64(share.numerator)),
                                                          share.denominator)
            days = "" if share == 1 else f", {span.days}/{self.period.days} of the period"
            window = f" ({charge.window})" if charge.window and charge.description is None else ""
            description = f"{label}{window}{', ' + text if text else ''}{days}{self.dates(span)}"
            self.add("demand", description, "kW", charge.name, quantity, scaled(block.rate, RATE_SCALE), span,
                     keep_zero=(b == 0), tou=charge.window, block=b)

    def minimum(self) -> None:
        spans = charge_spans(self.parts, MinimumCharge)
        if not spans:
            return
        floor = np.zeros(self.meters, dtype=np.int64)
        pieces: list[str] = []
        for charge, span in spans:
            amount = Decimal(charge.amount)
            if charge.per == "day":
                base = amount * span.days
                pieces.append(f"${rate_text(amount)}/day x {span.days} days")
            elif charge.per == "month":
                months = month_fraction(span.period)
                base = amount * Decimal(months.numerator) / Decimal(months.denominator)
                pieces.append(f"${rate_text(amount)}/month")
            else:
                base = amount * span.days / self.regular_days
                pieces.append(f"${rate_text(amount)}/bill")
            cents = np.full(self.meters, scaled(base, 100), dtype=np.int64)
            if charge.connected_load is not None:
                load = charge.connected_load
                over = []
                for i, service in enumerate(self.services):
                    if service.connected_load_kw is None:
                        raise RatingError(f"{charge.name}: needs the connected load (kW) of meter {i}")
                    over.append(max(Decimal(0), service.connected_load_kw - load.over_kw))
                if load.per == "day":
                    times = Decimal(span.days)
                elif load.per == "month":
                    months = month_fraction(span.period)
                    times = Decimal(months.numerator) / Decimal(months.denominator)
                else:
                    times = Decimal(1)
                cents = cents + np.array([scaled(kw * load.rate * times, 100) for kw in over], dtype=np.int64)
                pieces.append(f"${rate_text(load.rate)}/kW/{load.per} over {quantity_text(load.over_kw)} kW "
                              "connected load")
            floor = floor + cents
        last_charge = spans[-1][0]
        compared = set(last_charge.compare_to)
        regular = np.zeros(self.meters, dtype=np.int64)
        for line in self.lines:
            if line.kind in compared:
                regular = regular + line.amount
        shortfall = np.maximum(np.asarray(floor - regular, dtype=np.int64), 0)
        name = last_charge.description or last_charge.name
        description = f"{name} (minimum {' + '.join(pieces)} exceeds regular charges)"
        self.add("minimum", description, "bill", last_charge.name, filled(self.meters, QUANTITY_SCALE),
                 shortfall * (RATE_SCALE // 100), Span((self.parts[-1],)))

    def cents_in(self, line: LineBatch, span: Span) -> np.ndarray | int:
        """The part of a line's amount that falls in a span (a line over
        several parts is shared among them by days, largest remainder)."""
        covered = [i for i in line.parts if i in span.indices]
        if not covered:
            return 0
        if len(covered) == len(line.parts):
            return line.amount
        days = [np.full(self.meters, self.parts[i].period.days, dtype=np.int64) for i in line.parts]
        shares = allocate_largest_remainder(np.asarray(line.amount, dtype=np.int64), days)
        return sum(share for i, share in zip(line.parts, shares, strict=True) if i in covered)

    def rider(self, charge: Rider, span: Span) -> None:
        label = charge.description or charge.name
        sign = -1 if charge.kind == "credit" else 1
        if charge.per_unit is not None:
            factor = unit_factor(self.tariff, self.measures.unit, charge.unit)
            quantity = convert(self.measures.energy(span, None)[None], factor)
            self.add(charge.kind, f"{label}{self.dates(span)}", charge.unit, charge.name, quantity,
                     sign * scaled(charge.per_unit, RATE_SCALE), span)
            return
        assert charge.percent is not None
        fraction = Decimal(charge.percent) / 100
        rate = derived_rate(fraction / (1 - fraction) if charge.gross_up else fraction)
        base = np.zeros(self.meters, dtype=np.int64)
        selectors = set(charge.of)
        for line in self.lines:
            if "bill" in selectors or line.kind in selectors or line.component in selectors:
                base = base + self.cents_in(line, span)
        quantity = np.asarray(base) * (QUANTITY_SCALE // 100)
        what = "bill" if "bill" in selectors else ", ".join(charge.of)
        gross = " (gross-up)" if charge.gross_up else ""
        description = f"{label}, {quantity_text(charge.percent)}% of {what}{gross}{self.dates(span)}"
        self.add(charge.kind, description, "$", charge.name, quantity, sign * scaled(rate, RATE_SCALE), span)

    def build(self) -> BatchBill:
        for charge, span in charge_spans(self.parts, (FixedCharge, EnergyCharge, DemandCharge)):
            if isinstance(charge, FixedCharge):
                self.fixed(charge, span)
            elif isinstance(charge, EnergyCharge):
                self.energy(charge, span)
            else:
                self.demand(charge, span)
        self.minimum()
        for charge, span in charge_spans(self.parts, Rider):
            self.rider(charge, span)
        return BatchBill(self.period, self.lines, self.meters)


def _rates(amounts: Sequence[Decimal], sign: int) -> np.ndarray:
    by_value = {a: sign * scaled(a, RATE_SCALE) for a in set(amounts)}
    return np.array([by_value[a] for a in amounts], dtype=np.int64)
