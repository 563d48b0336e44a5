"""``ratepayer rate TARIFF [LOAD]``: rate a load on a tariff, print the bills.

A stable operator contract (DESIGN section 11). It is a calculator: it needs
no database, no secret key and no Django; ``ratepayer.cli`` runs it before
Django is set up (``ratepayer rate`` works on a machine with nothing
configured), and the ``rate`` management command calls the same code.

    ratepayer rate TARIFF LOAD [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--format json]
    ratepayer rate TARIFF --kwh N [--kw N] [--days N] [--start YYYY-MM-DD]
    ratepayer rate --tariff snopud_schedule_7 --kwh 1000 --size-class medium

TARIFF is a ratepayer tariff document (YAML/JSON) or a URDB JSON file (a rate
object or an API response with ``items``), detected by content, or the name of
a shipped example (file name with or without ``.yaml``, or its id). LOAD is a
CSV (``start,kwh[,kw]``, local ISO times, interval inferred) or Green Button
ESPI XML. Interval loads are billed by calendar month, or as the one period
``--start``..``--end``. Errors go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ratepayer import rating
from ratepayer.kernel.periods import Period, month_periods

from .calendar import LocalCalendar, TimestampError, from_day_number


class RateCommandError(ValueError):
    """A usage error of the command (exit status 2)."""


def default_time_zone() -> str:
    """The utility's zone, as settings.TIME_ZONE reads it."""
    return os.environ.get("RATEPAYER_TIME_ZONE", "America/Los_Angeles")


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "tariff", nargs="?", help="ratepayer tariff (YAML/JSON), URDB JSON, or an example's name"
    )
    parser.add_argument("load", nargs="?", help="interval CSV (start,kwh[,kw]) or Green Button XML")
    parser.add_argument(
        "--tariff", dest="tariff_option", help="the tariff, as an option (a file or an example's name)"
    )
    parser.add_argument("--start", help="first day of the bill period (YYYY-MM-DD)")
    parser.add_argument("--end", help="last day of the bill period (YYYY-MM-DD, inclusive)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--timezone", help="zone of naive timestamps (default: RATEPAYER_TIME_ZONE)")
    parser.add_argument("--kwh", help="register usage in kWh (instead of LOAD)")
    parser.add_argument("--quantity", help="register usage in --unit (water/sewer)")
    parser.add_argument("--unit", default=None, help="unit of --quantity: CCF, cf, gal, kgal, kWh")
    parser.add_argument("--kw", help="demand register reading, kW")
    parser.add_argument("--days", type=int, help="days in the bill period (register usage)")
    parser.add_argument("--meter-size", help="meter size for charges by meter size")
    parser.add_argument("--size-class", help="size class for charges by class")
    parser.add_argument("--dwelling-units", type=int, default=1)
    parser.add_argument("--connected-load-kw", help="connected load for connected-load minimums")
    parser.add_argument("--winter-average", help="winter average use per day (winter-average sewer)")
    parser.add_argument("--regular-days", type=int, help="regular period length: prorate a first/final bill")
    parser.add_argument("--urdb-label", help="pick this rate from a URDB response with several items")
    parser.add_argument(
        "--tier-basis",
        choices=["total", "period"],
        default="total",
        help="URDB tiers across TOU periods (default: total, as SAM)",
    )


ERRORS = (
    RateCommandError,
    rating.TariffError,
    rating.RatingError,
    rating.LoadError,
    TimestampError,
    ValueError,
)


def output(result: dict[str, Any], fmt: str) -> str:
    return json.dumps(result, indent=2) if fmt == "json" else text(result)


def main(argv: Sequence[str] | None = None) -> int:
    """``ratepayer rate ...`` without Django: print the bills, or the error on stderr (status 2)."""
    parser = argparse.ArgumentParser(
        prog="ratepayer rate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        result = run(options)
    except ERRORS as exc:
        print(f"CommandError: {exc}", file=sys.stderr)
        return 2
    try:
        print(output(result, options["format"]))
    except BrokenPipeError:  # `ratepayer rate ... | head`: the reader has what it wanted
        sys.stderr.close()
    return 0


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise RateCommandError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from exc


def _decimal(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise RateCommandError(f"{option} {text!r} is not a number") from exc
    if not value.is_finite():
        raise RateCommandError(f"{option} {text!r} is not a number")
    return value


def run(options: dict[str, Any]) -> dict[str, Any]:
    tariff_name = options.get("tariff_option") or options["tariff"]
    if options.get("tariff_option") and options["tariff"] and not options["load"]:
        options["load"] = options["tariff"]  # rate --tariff NAME LOAD
    if not tariff_name:
        raise RateCommandError(
            "give a tariff: a file, or the name of a shipped example (ratepayer rates examples)"
        )
    tariff = rating.load_tariff(
        tariff_name, urdb_label=options["urdb_label"], tier_basis=options["tier_basis"]
    )
    tz = options["timezone"] or default_time_zone()
    start = _date(options["start"], "--start")
    end = _date(options["end"], "--end")
    service = rating.ServiceInfo(
        meter_size=options["meter_size"],
        size_class=options["size_class"],
        dwelling_units=options["dwelling_units"],
        connected_load_kw=_decimal(options["connected_load_kw"], "--connected-load-kw"),
        winter_average_daily=_decimal(options["winter_average"], "--winter-average"),
    )
    register = options["kwh"] is not None or options["quantity"] is not None
    if register and options["load"]:
        raise RateCommandError("give either LOAD or --kwh/--quantity, not both")
    if not register and not options["load"]:
        raise RateCommandError("give a LOAD file, or --kwh N for register usage")
    regular = options["regular_days"]
    if register:
        if options["kwh"] is not None and options["quantity"] is not None:
            raise RateCommandError("give either --kwh or --quantity")
        qty = _decimal(options["kwh"] if options["kwh"] is not None else options["quantity"], "--kwh")
        assert qty is not None
        unit = "kWh" if options["kwh"] is not None else (options["unit"] or "CCF")
        period = _register_period(start, end, options["days"])
        usage = rating.RegisterUsage(qty, unit=unit, demand_kw=_decimal(options["kw"], "--kw"))
        bills = [rating.rate(tariff, usage, period, service=service, regular_days=regular)]
    else:
        load_path = Path(options["load"])
        if not load_path.exists():
            raise RateCommandError(f"{load_path}: no such load file")
        usage_i = _load(load_path, tz)
        periods = _interval_periods(usage_i, start, end)
        batches = rating.rate_intervals(tariff, usage_i, periods, services=service, regular_days=regular)
        bills = [b.bill(0) for b in batches]
    total = sum((b.total for b in bills), Decimal("0.00"))
    return {"periods": [b.as_dict() for b in bills], "total": f"{total:.2f}"}


def _register_period(start: date | None, end: date | None, days: int | None) -> Period:
    if days is not None and days <= 0:
        raise RateCommandError("--days must be positive")
    if start is None:
        if end is not None and days is not None:
            start = end - timedelta(days=days - 1)
        elif end is not None:
            start = end.replace(day=1)
        else:
            start = date.today().replace(day=1)
    if end is None:
        if days is not None:
            end = start + timedelta(days=days - 1)
        else:
            end = (start.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if end < start:
        raise RateCommandError(f"--end {end} is before --start {start}")
    if days is not None and (end - start).days + 1 != days:
        raise RateCommandError(f"--days {days} disagrees with {start}..{end} ({(end - start).days + 1} days)")
    return Period(start, end)


def _load(path: Path, tz: str) -> rating.IntervalUsage:
    head = path.read_bytes()[:512].lstrip()
    if path.suffix.lower() == ".xml" or head.startswith(b"<"):
        return rating.load_green_button(path, tz)
    return rating.load_interval_csv(path, tz)


def _interval_periods(usage: rating.IntervalUsage, start: date | None, end: date | None) -> list[Period]:
    cal = LocalCalendar.build(usage.epoch[[0, -1]], usage.tz)
    first = from_day_number(int(cal.day[0]))
    last_start = from_day_number(int(cal.day[1]))
    last = last_start
    if start is not None or end is not None:
        p_start = start or first
        p_end = end or last
        if p_end < p_start:
            raise RateCommandError(f"--end {p_end} is before --start {p_start}")
        return [Period(p_start, p_end)]
    return month_periods(first, last)


def text(result: dict[str, Any]) -> str:
    out = []
    for period in result["periods"]:
        out.append(f"Bill period {period['start']} to {period['end']}")
        for line in period["lines"]:
            out.append(
                f"  {line['kind']:<8} {line['description']:<58} {line['quantity']:>12} {line['unit']:<6}"
                f" x {line['rate']:>10} = {line['amount']:>12}"
            )
        out.append(f"  {'total':<8} {'':<58} {'':>12} {'':<6}   {'':>10}   {period['total']:>12}")
    out.append(f"Total {result['total']}")
    return "\n".join(out)
