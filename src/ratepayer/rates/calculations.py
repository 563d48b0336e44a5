"""The rate calculator: a bill, line by line, for usage on a stored version.

Pure Python over the rating engine (no database): the console looks up the
version, this module rates. Register usage is one bill period of ``days``
days starting on the chosen date; interval data (CSV or Green Button) is
billed by calendar month over the days it covers. Either way every period is
rated with the rates in force on the chosen date, so the answer is "what
these rates make of this usage".
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from ratepayer import rating
from ratepayer.kernel.periods import Period, month_periods
from ratepayer.rating.calendar import LocalCalendar, TimestampError, from_day_number

from .documents import rates_on
from .errors import CalculatorError

MAX_DAYS = 400
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ENERGY_TYPES = ("energy", "volume")


@dataclass(frozen=True)
class Quote:
    bills: tuple[rating.Bill, ...]
    total: Decimal
    unit: str
    intervals: int = 0  # number of intervals read from a file (0 for register usage)


def usage_unit(document: Any) -> str:
    """The unit usage is entered in: the first energy/volume charge's unit,
    else kWh for electric and CCF for water, sewer and the rest."""
    tariff = rating.parse_tariff(document)
    for version in reversed(tariff.versions):
        for component in version.components:
            if component.type in ENERGY_TYPES:
                return component.unit
    return "kWh" if tariff.service == "electric" else "CCF"


def _tariff(document: Any, on_date: date) -> rating.Tariff:
    try:
        return rates_on(document, on_date)
    except rating.TariffError as exc:
        raise CalculatorError(f"The stored rate version does not validate: {exc}") from exc


def quote_register(document: Any, on_date: date, *, quantity: Decimal, days: int, demand_kw: Decimal | None = None,
                   service: rating.ServiceInfo | None = None) -> Quote:
    """One bill of ``days`` days from ``on_date`` for ``quantity`` (in the
    tariff's unit) and an optional demand reading."""
    if not 1 <= days <= MAX_DAYS:
        raise CalculatorError(f"Days: a bill period is 1 to {MAX_DAYS} days, not {days}.")
    if quantity < 0:
        raise CalculatorError("Usage: enter the usage as a positive number (or 0).")
    if demand_kw is not None and demand_kw < 0:
        raise CalculatorError("Demand (kW): enter the demand in kW as a positive number.")
    tariff = _tariff(document, on_date)
    unit = usage_unit(document)
    period = Period(on_date, on_date + timedelta(days=days - 1))
    try:
        bill = rating.rate(tariff, rating.RegisterUsage(quantity, unit=unit, demand_kw=demand_kw), period,
                           service=service)
    except rating.RatingError as exc:
        raise CalculatorError(_explain(exc)) from exc
    return Quote((bill,), bill.total, unit)


def read_interval_file(filename: str, content: bytes, tz: str) -> rating.IntervalUsage:
    """An uploaded ``start,kwh[,kw]`` CSV or Green Button XML (detected by
    content); errors name the file and line."""
    if not content.strip():
        raise CalculatorError(f"{filename}: the file is empty.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise CalculatorError(f"{filename}: {len(content):,} bytes is more than the calculator reads "
                              f"({MAX_UPLOAD_BYTES:,}); use 'ratepayer rate' for files this large.")
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    try:
        if head.startswith(b"<"):
            handle, path = tempfile.mkstemp(suffix=".xml")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(content)
                try:
                    return rating.load_green_button(path, tz)
                except (rating.LoadError, rating.RatingError) as exc:
                    raise CalculatorError(str(exc).replace(path, filename)) from exc
            finally:
                os.unlink(path)
        try:
            return rating.load_interval_csv(content, tz)
        except UnicodeDecodeError as exc:
            raise CalculatorError(f"{filename}: not a text file (CSV start,kwh[,kw]) or Green Button XML.") from exc
        except (rating.LoadError, rating.RatingError) as exc:
            raise CalculatorError(str(exc).replace("<csv>", filename)) from exc
    except TimestampError as exc:
        raise CalculatorError(f"{filename}: {exc}") from exc


def interval_periods(usage: rating.IntervalUsage) -> list[Period]:
    """Calendar months over the whole local days the intervals cover (a
    partly covered first or last day, as in a feed cut at midnight UTC, is
    left out rather than billed short)."""
    last_end = int(usage.epoch[-1]) + usage.interval_minutes * 60
    cal = LocalCalendar.build(np.array([usage.epoch[0], last_end], dtype=np.int64), usage.tz)
    first = from_day_number(int(cal.day[0]) + (1 if int(cal.minute[0]) else 0))
    last = from_day_number(int(cal.day[1]) - 1)  # the day the last interval ends in, at or after 00:00
    if last < first:
        raise CalculatorError("Interval data: the intervals do not cover one whole local day "
                              f"({usage.tz}); upload at least a day of data.")
    return month_periods(first, last)


def quote_intervals(document: Any, on_date: date, usage: rating.IntervalUsage, *,
                    service: rating.ServiceInfo | None = None) -> Quote:
    """A bill per calendar month of the interval data."""
    tariff = _tariff(document, on_date)
    periods = interval_periods(usage)
    try:
        bills = tuple(batch.bill(0) for batch in rating.rate_intervals(tariff, usage, periods, services=service))
    except rating.RatingError as exc:
        raise CalculatorError(_explain(exc)) from exc
    return Quote(bills, sum((b.total for b in bills), Decimal("0.00")), usage.unit, intervals=int(usage.values.shape[1]))


def _explain(exc: rating.RatingError) -> str:
    text = str(exc)
    if "size_class" in text:
        return f"Size class: {text}"
    if "meter_size" in text:
        return f"Meter size: {text}"
    if "connected load" in text.lower():
        return f"Connected load (kW): {text}"
    if "winter" in text.lower():
        return f"Winter average: {text}"
    if "demand" in text.lower():
        return f"Demand (kW): {text}"
    return text
