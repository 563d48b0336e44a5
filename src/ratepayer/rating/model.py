"""The tariff model: a validated, versioned tariff document.

A tariff document (YAML or JSON) is parsed into :class:`Tariff`. Every field is
checked on load; an invalid document raises :class:`TariffError` naming the
field (a dotted path such as ``versions.0.components.2.blocks.1.rate``) and the
reason. ``docs/tariffs.md`` documents every field with examples.

Numbers: rates and amounts are exact decimals with at most 8 places (Lake
Stevens sewer quotes $0.11466666 per cubic foot), quantities and block limits
at most 4; YAML floats are read through their shortest decimal representation
(``0.10414`` is ``Decimal("0.10414")``). No number in a tariff is negative:
a credit is a component of kind ``credit`` with a positive amount, which the
engine subtracts; a negative amount is refused with its field named (a minus
sign typed by mistake must not silently become a charge, or a credit).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


class TariffError(ValueError):
    """A tariff document that cannot be used, with the field and the reason."""

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        prefix = f"{source}: " if source else ""
        where = f"{field}: " if field else ""
        super().__init__(f"{prefix}{where}{message}")


def _decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("$", "")
        try:
            result = Decimal(text)
        except Exception as exc:
            raise ValueError(f"{value!r} is not a number") from exc
        return result
    return value


RATE_PLACES = 8
QUANTITY_PLACES = 4


def _places(limit: int):
    def check(value: Decimal) -> Decimal:
        if not isinstance(value, Decimal):
            return value  # not a number: pydantic reports the type
        if not value.is_finite():
            raise ValueError("must be a finite number")
        if value < 0:
            raise ValueError(f"{value} is negative; amounts, rates and quantities in a tariff are never negative "
                             "(a credit is a component with kind: credit and a positive amount)")
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > limit:
            raise ValueError(f"{value} has more than {limit} decimal places")
        return value

    return check


def _rate_value(value: Any) -> Decimal:
    return _places(RATE_PLACES)(_decimal(value))


def _quantity_value(value: Any) -> Decimal:
    return _places(QUANTITY_PLACES)(_decimal(value))


Rate = Annotated[Decimal, BeforeValidator(_rate_value)]
"""A unit rate or amount: exact, not negative, at most 8 places."""
Quantity = Annotated[Decimal, BeforeValidator(_quantity_value)]
"""A quantity (kWh, kW, CCF, block limit): exact, not negative, at most 4 places."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DayName = Literal[
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "weekday", "weekend", "everyday", "holiday"
]
LineKind = Literal["fixed", "energy", "demand", "minimum", "rider", "tax", "credit"]
Unit = Literal["kWh", "CCF", "cf", "kgal", "gal", "therm"]
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HolidayCalendar(_Strict):
    """Which days count as holidays for time-of-use windows."""

    country: str | None = "US"
    subdiv: str | None = None
    names: list[str] | None = None
    """Keep only these holiday names from the country calendar (None: all)."""
    dates: list[date] = []
    """The utility's own holiday dates, added to the country's."""


class Season(_Strict):
    """A named season: either a set of months or a yearly date range."""

    name: str
    months: list[int] | None = None
    start: str | None = None
    """MM-DD, first day of the season (inclusive)."""
    end: str | None = None
    """MM-DD, last day of the season (inclusive); may wrap past New Year."""

    @model_validator(mode="after")
    def _one_form(self) -> Season:
        if self.months is not None:
            if self.start or self.end:
                raise ValueError("give either months or start/end, not both")
            if not self.months:
                raise ValueError("months must not be empty")
            for m in self.months:
                if not 1 <= m <= 12:
                    raise ValueError(f"month {m} is not 1..12")
        else:
            if not (self.start and self.end):
                raise ValueError("a season needs months, or both start and end (MM-DD)")
            for label, text in (("start", self.start), ("end", self.end)):
                if not _MMDD.match(text):
                    raise ValueError(f"{label} {text!r} is not MM-DD")
        return self

    def contains(self, day: date) -> bool:
        if self.months is not None:
            return day.month in self.months
        assert self.start and self.end
        key = f"{day.month:02d}-{day.day:02d}"
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


class Window(_Strict):
    """Hours on some days: ``days`` + (``start``/``end`` or ``hours``)."""

    days: list[DayName] = ["everyday"]
    start: str | None = None
    """HH:MM local wall-clock time, inclusive."""
    end: str | None = None
    """HH:MM local wall-clock time, exclusive; 24:00 for midnight."""
    hours: list[int] | None = None
    """Alternative to start/end: hours of the day 0..23 (0 = 00:00-01:00)."""
    months: list[int] | None = None
    seasons: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> Window:
        if self.hours is not None:
            if self.start or self.end:
                raise ValueError("give either hours or start/end, not both")
            for h in self.hours:
                if not 0 <= h <= 23:
                    raise ValueError(f"hour {h} is not 0..23")
        else:
            start = self.start or "00:00"
            end = self.end or "24:00"
            for label, text in (("start", start), ("end", end)):
                if not _HHMM.match(text):
                    raise ValueError(f"{label} {text!r} is not HH:MM")
            if _minutes(start) >= _minutes(end):
                raise ValueError(f"window start {start} is not before end {end}")
        if self.months is not None:
            for m in self.months:
                if not 1 <= m <= 12:
                    raise ValueError(f"month {m} is not 1..12")
        if not self.days:
            raise ValueError("days must not be empty")
        return self

    def minute_range(self) -> list[tuple[int, int]]:
        """[start, end) minute-of-day ranges."""
        if self.hours is not None:
            return [(h * 60, h * 60 + 60) for h in sorted(set(self.hours))]
        return [(_minutes(self.start or "00:00"), _minutes(self.end or "24:00"))]


def _minutes(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)


class TouPeriod(_Strict):
    """A named time-of-use period: the union of its windows, or, with
    ``otherwise: true``, every time not in another period of its group."""

    name: str
    description: str | None = None
    group: str = "main"
    windows: list[Window] = []
    otherwise: bool = False

    @model_validator(mode="after")
    def _check(self) -> TouPeriod:
        if self.otherwise and self.windows:
            raise ValueError("an 'otherwise' period takes no windows")
        if not self.otherwise and not self.windows:
            raise ValueError("a period needs windows or otherwise: true")
        return self


class Block(_Strict):
    """One block (tier). ``upto`` is the cumulative upper limit of the block in
    the component's block-limit units; the last block has no ``upto``."""

    upto: Quantity | None = None
    rate: Rate


def _check_blocks(blocks: list[Block], label: str) -> None:
    if not blocks:
        raise ValueError(f"{label}: at least one block is needed")
    previous = Decimal(0)
    for i, block in enumerate(blocks):
        last = i == len(blocks) - 1
        if block.upto is None and not last:
            raise ValueError(f"{label}: block {i} has no 'upto' but is not the last block")
        if block.upto is not None:
            if last:
                raise ValueError(f"{label}: the last block must not have 'upto' (it takes all the rest)")
            if block.upto <= previous:
                raise ValueError(
                    f"{label}: block {i} upto {block.upto} must be greater than the previous limit {previous}"
                )
            previous = block.upto


class _Applies(_Strict):
    name: str
    description: str | None = None
    season: str | None = None
    months: list[int] | None = None

    @field_validator("months")
    @classmethod
    def _months(cls, value: list[int] | None) -> list[int] | None:
        if value is not None:
            if not value:
                raise ValueError("months must not be empty")
            for m in value:
                if not 1 <= m <= 12:
                    raise ValueError(f"month {m} is not 1..12")
        return value


class FixedCharge(_Applies):
    type: Literal["fixed"]
    kind: Literal["fixed", "rider", "tax", "credit"] = "fixed"
    amount: Rate | None = None
    amounts: dict[str, Rate] | None = None
    amounts_by: Literal["meter_size", "size_class"] | None = None
    per: Literal["bill", "day", "month"]
    multiply_by: Literal["meters", "dwelling_units"] | None = None
    proration: Literal["calendar", "thirty_day"] = "calendar"
    round_daily: bool = False

    @model_validator(mode="after")
    def _check(self) -> FixedCharge:
        if (self.amount is None) == (self.amounts is None):
            raise ValueError("give exactly one of amount or amounts (with amounts_by)")
        if self.amounts is not None and self.amounts_by is None:
            raise ValueError("amounts needs amounts_by: meter_size or size_class")
        if self.amounts is not None and not self.amounts:
            raise ValueError("amounts must not be empty")
        if self.amount is None and self.amounts_by is None:
            raise ValueError("amounts_by is required with amounts")
        return self


class EnergyCharge(_Applies):
    type: Literal["energy", "volume"]
    unit: Unit = "kWh"
    blocks: list[Block] | None = None
    tou: dict[str, list[Block]] | None = None
    """TOU period name -> blocks; the periods must cover every interval once."""
    blocks_by: Literal["meter_size", "size_class"] | None = None
    blocks_for: dict[str, list[Block]] | None = None
    """Blocks by the service's meter size or size class (as fixed charges'
    ``amounts``), all with the same block limits; a key whose rates are all
    zero is not charged (Union Gap sewer: no volume rate on 3/4" meters)."""
    block_limit_per: Literal["period", "day", "month", "kw"] = "period"
    tier_basis: Literal["period", "total"] = "period"
    """With TOU blocks: 'period' applies each period's blocks to that period's
    use; 'total' applies the limits to the total use and shares each block
    among the periods in proportion to their use (SAM/URDB semantics)."""
    quantity: Literal["usage", "winter_average", "lesser_of_usage_and_winter_average"] = "usage"
    without_winter_average: Literal["refuse", "usage"] = "refuse"
    """A service with no winter history yet (a new customer): 'refuse' holds
    the bill for review; 'usage' bills this period's use until there is one."""

    @model_validator(mode="after")
    def _check(self) -> EnergyCharge:
        given = [name for name in ("blocks", "tou", "blocks_for") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of blocks, tou or blocks_for (with blocks_by)")
        if (self.blocks_for is None) != (self.blocks_by is None):
            raise ValueError("blocks_for and blocks_by go together (blocks_by: meter_size or size_class)")
        if self.blocks is not None:
            _check_blocks(self.blocks, "blocks")
        if self.blocks_for is not None:
            if not self.blocks_for:
                raise ValueError("blocks_for must not be empty")
            for key, blocks in self.blocks_for.items():
                _check_blocks(blocks, f"blocks_for.{key}")
            shapes = {tuple(b.upto for b in blocks) for blocks in self.blocks_for.values()}
            if len(shapes) > 1:
                raise ValueError("blocks_for: every meter size (or class) needs the same block limits")
        if self.tou is not None:
            if not self.tou:
                raise ValueError("tou must name at least one period")
            for period, blocks in self.tou.items():
                _check_blocks(blocks, f"tou.{period}")
            if self.tier_basis == "total":
                shapes = {tuple(b.upto for b in blocks) for blocks in self.tou.values()}
                if len(shapes) > 1:
                    raise ValueError(
                        "tier_basis 'total' needs the same block limits in every TOU period "
                        f"(found {sorted(str([str(u) for u in s]) for s in shapes)})"
                    )
        if self.quantity != "usage" and self.tou is not None:
            raise ValueError("winter-average quantities cannot be split by TOU period")
        return self


class Ratchet(_Strict):
    percent: Rate
    """Billing demand is at least this percent of the highest billing demand
    of the previous ``months`` months."""
    months: int = Field(ge=1, le=36)

    @field_validator("percent")
    @classmethod
    def _pct(cls, value: Decimal) -> Decimal:
        if not 0 < value <= 100:
            raise ValueError("percent must be in (0, 100]")
        return value


class DemandCharge(_Applies):
    type: Literal["demand"]
    window: str | None = None
    """TOU period name in which demand is measured (None: all hours)."""
    blocks: list[Block]
    interval_minutes: int | None = None
    """Demand averaging interval (15, 30, 60); None: the data's own interval."""
    ratchet: Ratchet | None = None
    minimum_kw: Quantity | None = None

    @model_validator(mode="after")
    def _check(self) -> DemandCharge:
        _check_blocks(self.blocks, "blocks")
        if self.interval_minutes is not None and self.interval_minutes not in (5, 10, 15, 20, 30, 60):
            raise ValueError("interval_minutes must be one of 5, 10, 15, 20, 30, 60")
        return self


class ConnectedLoad(_Strict):
    rate: Rate
    """$ per kW of connected load over ``over_kw``, per ``per``."""
    over_kw: Quantity = Decimal(0)
    per: Literal["day", "month", "bill"] = "day"


class MinimumCharge(_Applies):
    type: Literal["minimum"]
    amount: Rate = Decimal(0)
    per: Literal["bill", "day", "month"] = "bill"
    connected_load: ConnectedLoad | None = None
    compare_to: list[Literal["fixed", "energy", "demand", "rider"]] = ["fixed", "energy", "demand"]


class Rider(_Applies):
    type: Literal["rider"]
    kind: Literal["rider", "tax", "credit"] = "rider"
    per_unit: Rate | None = None
    """$ per unit of usage (the tariff's energy/volume unit)."""
    unit: Unit = "kWh"
    percent: Rate | None = None
    """Percent (3.8734 = 3.8734 %) of the lines selected by ``of``."""
    of: list[str] = ["bill"]
    """Line kinds (fixed, energy, demand, minimum, rider, tax, credit),
    component names, or 'bill' (every line before this one)."""
    gross_up: bool = False
    """Proportional increase for a gross revenue tax: charge p/(1-p)."""

    @model_validator(mode="after")
    def _check(self) -> Rider:
        if (self.per_unit is None) == (self.percent is None):
            raise ValueError("give exactly one of per_unit or percent")
        if self.gross_up and self.percent is None:
            raise ValueError("gross_up needs percent")
        if self.percent is not None:
            if self.percent.normalize().as_tuple().exponent < -4:  # type: ignore[operator]
                raise ValueError("percent keeps at most 4 places (the rate then has 6)")
            if self.gross_up and not 0 <= self.percent < 100:
                raise ValueError("a gross-up percent must be in [0, 100)")
        return self


Component = Annotated[
    FixedCharge | EnergyCharge | DemandCharge | MinimumCharge | Rider,
    Field(discriminator="type"),
]


class TariffVersion(_Strict):
    effective: date
    """First day on which this version's rates apply."""
    note: str | None = None
    source: str | None = None
    components: list[Component]

    @model_validator(mode="after")
    def _check(self) -> TariffVersion:
        names = [c.name for c in self.components]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"component names must be unique in a version: {dupes}")
        if sum(1 for c in self.components if isinstance(c, MinimumCharge)) > 1:
            raise ValueError("at most one minimum charge per version")
        kinds = {"bill", "fixed", "energy", "demand", "minimum", "rider", "tax", "credit"}
        for i, comp in enumerate(self.components):
            if isinstance(comp, Rider):
                earlier = {c.name for c in self.components[:i]} | {
                    c.name for c in self.components if not isinstance(c, Rider)
                }
                for item in comp.of:
                    if item not in kinds and item not in earlier:
                        raise ValueError(
                            f"components.{i} ({comp.name}): 'of' names {item!r}, which is neither a line kind "
                            f"nor a component billed before it"
                        )
        return self


class Tariff(_Strict):
    format: Literal["ratepayer-tariff/1"] = "ratepayer-tariff/1"
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    utility: str | None = None
    service: Literal["electric", "water", "sewer", "stormwater", "refuse", "gas"] = "electric"
    description: str | None = None
    source: str | None = None
    timezone: str | None = None
    holidays: HolidayCalendar | None = None
    seasons: list[Season] = []
    tou_periods: list[TouPeriod] = []
    gallons_per_ccf: Quantity = Decimal(748)
    versions: list[TariffVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Tariff:
        dates = [v.effective for v in self.versions]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("versions must be in increasing order of effective date, one per date")
        season_names = [s.name for s in self.seasons]
        if len(set(season_names)) != len(season_names):
            raise ValueError("season names must be unique")
        tou_names = [p.name for p in self.tou_periods]
        if len(tou_names) > 40:
            raise ValueError("at most 40 TOU periods")
        if len(set(tou_names)) != len(tou_names):
            raise ValueError("TOU period names must be unique")
        groups: dict[str, int] = {}
        for p in self.tou_periods:
            if p.otherwise:
                groups[p.group] = groups.get(p.group, 0) + 1
                if groups[p.group] > 1:
                    raise ValueError(f"TOU group {p.group!r} has more than one 'otherwise' period")
            for w in p.windows:
                for s in w.seasons or []:
                    if s not in season_names:
                        raise ValueError(f"TOU period {p.name!r} names unknown season {s!r}")
        if self.timezone is not None:
            from zoneinfo import ZoneInfo

            try:
                ZoneInfo(self.timezone)
            except Exception as exc:
                raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        for vi, version in enumerate(self.versions):
            for ci, comp in enumerate(version.components):
                where = f"versions.{vi}.components.{ci} ({comp.name})"
                if comp.season is not None and comp.season not in season_names:
                    raise ValueError(f"{where}: unknown season {comp.season!r}; seasons: {season_names}")
                if isinstance(comp, EnergyCharge) and comp.tou:
                    for pname in comp.tou:
                        if pname not in tou_names:
                            raise ValueError(f"{where}: unknown TOU period {pname!r}; periods: {tou_names}")
                if isinstance(comp, DemandCharge) and comp.window is not None and comp.window not in tou_names:
                    raise ValueError(f"{where}: unknown TOU period {comp.window!r}; periods: {tou_names}")
                if isinstance(comp, EnergyCharge) and comp.unit in ("gal", "kgal", "cf", "CCF"):
                    if self.service == "electric":
                        raise ValueError(f"{where}: unit {comp.unit} on an electric tariff")
        return self

    def version_on(self, day: date) -> TariffVersion | None:
        found = None
        for version in self.versions:
            if version.effective <= day:
                found = version
        return found

    def season(self, name: str) -> Season:
        for s in self.seasons:
            if s.name == name:
                return s
        raise KeyError(name)

    def tou_period(self, name: str) -> TouPeriod:
        for p in self.tou_periods:
            if p.name == name:
                return p
        raise KeyError(name)


FACTS = ("usage", "meter_size", "size_class", "meters", "dwelling_units", "connected_load_kw",
         "winter_average_daily", "demand_history_kw")
"""What a tariff may ask for: metered ``usage`` and the ``ServiceInfo`` fields."""


def facts_needed(tariff: Tariff) -> frozenset[str]:
    """The facts about a service that some version of ``tariff`` bills on:
    ``usage`` (an energy/volume charge, a per-unit rider, a demand charge) and
    the ``ServiceInfo`` fields its charges name (``meter_size`` or
    ``size_class`` for amounts or blocks by size, ``dwelling_units`` or
    ``meters`` to multiply by, ``winter_average_daily`` for winter-average
    volume, ``connected_load_kw`` for a connected-load minimum,
    ``demand_history_kw`` for a ratchet). A bill run loads only what its
    tariffs need (Union Gap sewer: the water meter's size and the water use;
    Schedule 7: a size class)."""
    needed: set[str] = set()
    for version in tariff.versions:
        for c in version.components:
            if isinstance(c, FixedCharge):
                if c.amounts_by:
                    needed.add(c.amounts_by)
                if c.multiply_by:
                    needed.add(c.multiply_by)
            elif isinstance(c, EnergyCharge):
                needed.add("usage")
                if c.blocks_by:
                    needed.add(c.blocks_by)
                if c.quantity != "usage":
                    needed.add("winter_average_daily")
            elif isinstance(c, DemandCharge):
                needed.add("usage")
                if c.ratchet is not None:
                    needed.add("demand_history_kw")
            elif isinstance(c, MinimumCharge):
                if c.connected_load is not None:
                    needed.add("connected_load_kw")
            elif isinstance(c, Rider) and c.per_unit is not None:
                needed.add("usage")
    return frozenset(needed)


def to_document(tariff: Tariff) -> dict[str, Any]:
    """The tariff as a JSON-ready document (decimals as strings, dates ISO);
    ``parse_tariff(to_document(t)) == t``. For storing tariffs in a database."""
    return tariff.model_dump(mode="json")


def _format_loc(loc: tuple[Any, ...]) -> str:
    parts = []
    for item in loc:
        if isinstance(item, str) and item in ("fixed", "energy", "volume", "demand", "minimum", "rider"):
            # discriminator tag inserted by pydantic: not a field of the document
            continue
        parts.append(str(item))
    return ".".join(parts)


def parse_tariff(data: Any, *, source: str | None = None) -> Tariff:
    """Validate a parsed document; raise TariffError naming the field."""
    if not isinstance(data, dict):
        raise TariffError("a tariff document must be a mapping", source=source)
    try:
        return Tariff.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _format_loc(tuple(first.get("loc", ())))
        message = first.get("msg", "invalid")
        message = message.removeprefix("Value error, ")
        more = len(exc.errors()) - 1
        if more:
            details = "; ".join(
                f"{_format_loc(tuple(e.get('loc', ())))}: {e.get('msg', '').removeprefix('Value error, ')}"
                for e in exc.errors()[1:4]
            )
            message += f" (and {more} more: {details})"
        raise TariffError(message, field=field or None, source=source) from None
