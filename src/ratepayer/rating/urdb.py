"""OpenEI Utility Rate Database (URDB v7) rate objects -> ratepayer tariffs.

Decisions where URDB is ambiguous (docs/tariffs.md, "URDB import"):

* ``energyratestructure[period][tier].max`` is a cumulative limit on the
  month's total use across all TOU periods active in the month; each tier is
  shared among the periods in proportion to their use (``tier_basis:
  total``), which is what SAM/PySAM ``Utilityrate5`` does. Pass
  ``tier_basis="period"`` to apply each period's tiers to its own use.
* Tier units: ``kWh`` -> limit per month (``block_limit_per: month``, which
  is the limit itself for a calendar-month bill), ``kWh daily`` -> limit x
  actual days of the bill period, ``kWh/kW`` -> limit x the period's peak kW.
* ``$/day`` fixed and minimum charges are multiplied by the actual days of
  the bill period (never by 365/12 or 30). ``$/year`` fixed charges become
  1/12 per month.
* Effective rate = ``rate + adj``; it must have at most 8 decimal places
  (the import refuses more rather than round silently).
* Weekday schedules apply Monday-Friday and weekend schedules Saturday and
  Sunday; URDB has no holidays, so the imported tariff has none.
* The import is one version effective from 1900-01-01 (URDB ``startdate``
  is kept in the version note), so historical loads can be rated on it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .model import Tariff, TariffError, parse_tariff

URDB_KEYS = (
    "energyratestructure",
    "flatdemandstructure",
    "demandratestructure",
    "fixedchargefirstmeter",
    "fixedmonthlycharge",
)


class UrdbError(TariffError):
    """A URDB record that cannot be converted, naming the URDB field."""


def is_urdb(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "items" in data and isinstance(data["items"], list):
        return True
    return any(k in data for k in URDB_KEYS) and "versions" not in data


def pick_rate(data: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """The rate object of a URDB document (a rate, or an API response with items)."""
    if "items" in data:
        items = data["items"]
        if not items:
            raise UrdbError("the URDB response has no items", field="items")
        if label is None:
            if len(items) > 1:
                labels = [i.get("label") for i in items]
                raise UrdbError(f"{len(items)} rates in the response; choose one by label: {labels}", field="items")
            return dict(items[0])
        for item in items:
            if item.get("label") == label:
                return dict(item)
        raise UrdbError(f"no rate with label {label!r}", field="items")
    return data


def _num(value: Any, field: str, places: int) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise UrdbError(f"{value!r} is not a number", field=field)
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except Exception as exc:
        raise UrdbError(f"{value!r} is not a number", field=field) from exc
    if not d.is_finite():
        raise UrdbError(f"{value!r} is not finite", field=field)
    d = d.normalize()
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and -exp > places:
        raise UrdbError(f"{value} has more than {places} decimal places", field=field)
    return d


def _schedule(data: dict[str, Any], key: str, periods: int) -> list[list[int]]:
    sched = data.get(key)
    if sched is None:
        raise UrdbError("missing (a 12 x 24 month x hour matrix is required)", field=key)
    if not isinstance(sched, list) or len(sched) != 12:
        raise UrdbError("must have 12 rows (months)", field=key)
    out = []
    for m, row in enumerate(sched):
        if not isinstance(row, list) or len(row) != 24:
            raise UrdbError("must have 24 hours", field=f"{key}.{m}")
        vals = []
        for h, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < periods:
                raise UrdbError(f"period index {v!r} is not in 0..{periods - 1}", field=f"{key}.{m}.{h}")
            vals.append(v)
        out.append(vals)
    return out


def _tiers(structure: Any, field: str, *, energy: bool) -> list[tuple[list[dict[str, Any]], str]]:
    if not isinstance(structure, list) or not structure:
        raise UrdbError("must be a non-empty list of periods", field=field)
    result = []
    for p, tiers in enumerate(structure):
        if not isinstance(tiers, list) or not tiers:
            raise UrdbError("a period needs at least one tier", field=f"{field}.{p}")
        blocks = []
        units = set()
        for t, tier in enumerate(tiers):
            where = f"{field}.{p}.{t}"
            if not isinstance(tier, dict):
                raise UrdbError("a tier must be an object", field=where)
            rate = _num(tier.get("rate", 0), f"{where}.rate", 10) + _num(tier.get("adj", 0), f"{where}.adj", 10)
            rate = rate.normalize()
            exp = rate.as_tuple().exponent
            if isinstance(exp, int) and -exp > 8:
                raise UrdbError(f"rate + adj = {rate} has more than 8 decimal places", field=f"{where}.rate")
            if rate < 0:
                raise UrdbError(f"rate + adj = {rate} is negative; negative (credit) tiers are not supported",
                                field=f"{where}.rate")
            block: dict[str, Any] = {"rate": str(rate)}
            last = t == len(tiers) - 1
            if "max" in tier and tier["max"] is not None and not (last and float(tier["max"]) >= 1e30):
                if last:
                    # a max on the last tier: use beyond it continues at the last rate (SAM does the same)
                    pass
                else:
                    block["upto"] = str(_num(tier["max"], f"{where}.max", 4))
            elif not last:
                raise UrdbError("only the last tier may omit max", field=f"{where}.max")
            if energy:
                units.add(tier.get("unit", "kWh") or "kWh")
            blocks.append(block)
        if len(units) > 1:
            raise UrdbError(f"tiers of one period mix units {sorted(units)}", field=f"{field}.{p}")
        result.append((blocks, units.pop() if units else "kW"))
    return result


def _windows(wd: list[list[int]], we: list[list[int]], period: int) -> list[dict[str, Any]]:
    groups: dict[tuple[str, tuple[int, ...]], list[int]] = {}
    for daytype, sched in (("weekday", wd), ("weekend", we)):
        for m in range(12):
            hours = tuple(h for h in range(24) if sched[m][h] == period)
            if hours:
                groups.setdefault((daytype, hours), []).append(m + 1)
    windows = []
    for (daytype, hours), months in groups.items():
        window: dict[str, Any] = {"days": [daytype], "months": months}
        if hours == tuple(range(hours[0], hours[-1] + 1)):
            window["start"] = f"{hours[0]:02d}:00"
            window["end"] = f"{hours[-1] + 1:02d}:00" if hours[-1] < 23 else "24:00"
        else:
            window["hours"] = list(hours)
        windows.append(window)
    return windows


def _charge_units(value: Any, units: Any, field: str) -> tuple[Decimal, str]:
    amount = _num(value, field, 8)
    if amount < 0:
        raise UrdbError(f"{value} is negative; a charge cannot be negative", field=field)
    unit = units or "$/month"
    if unit == "$/month":
        return amount, "month"
    if unit == "$/day":
        return amount, "day"
    if unit == "$/year":
        return (amount / 12).quantize(Decimal("0.000001")), "month"
    raise UrdbError(f"unknown units {unit!r} (expected $/month, $/day or $/year)", field=field + "units")


def urdb_to_document(rate: dict[str, Any], *, tier_basis: str = "total") -> dict[str, Any]:
    """The ratepayer tariff document (a dict) for a URDB rate object."""
    rate = pick_rate(rate)
    for unsupported in ("coincidentratestructure",):
        if rate.get(unsupported):
            raise UrdbError("coincident-peak demand is not supported", field=unsupported)
    if rate.get("fixedchargeeaaddl"):
        raise UrdbError("a charge for each additional meter is not supported", field="fixedchargeeaaddl")
    label = str(rate.get("label") or rate.get("name") or "urdb-rate")
    tariff_id = "urdb-" + "".join(c if c.isalnum() or c in "._-" else "-" for c in label.lower())
    doc: dict[str, Any] = {
        "id": tariff_id.strip("-") or "urdb-rate",
        "name": str(rate.get("name") or label),
        "utility": rate.get("utility"),
        "service": "electric",
        "description": "Imported from an OpenEI URDB rate object",
        "source": rate.get("uri") or (f"urdb:{rate['label']}" if rate.get("label") else None),
        "tou_periods": [],
    }
    components: list[dict[str, Any]] = []

    fixed = rate.get("fixedchargefirstmeter", rate.get("fixedmonthlycharge"))
    if fixed not in (None, 0, 0.0, "0"):
        units = rate.get("fixedchargeunits") if "fixedchargefirstmeter" in rate else "$/month"
        amount, per = _charge_units(fixed, units, "fixedcharge")
        components.append({"type": "fixed", "name": "fixed", "description": "Fixed charge", "amount": str(amount), "per": per})

    if "energyratestructure" in rate and rate["energyratestructure"]:
        periods = _tiers(rate["energyratestructure"], "energyratestructure", energy=True)
        n = len(periods)
        wd = _schedule(rate, "energyweekdayschedule", n) if n > 1 or "energyweekdayschedule" in rate else [[0] * 24] * 12
        we = _schedule(rate, "energyweekendschedule", n) if n > 1 or "energyweekendschedule" in rate else [[0] * 24] * 12
        limit_per = {"kWh": "month", "kWh daily": "day", "kWh/kW": "kw"}
        used = sorted({p for s in (wd, we) for row in s for p in row})
        multi = len(used) > 1
        labels = rate.get("energytoulabels") or []
        if multi:
            for p in used:
                period_doc: dict[str, Any] = {"name": f"energy_{p}", "group": "energy", "windows": _windows(wd, we, p)}
                if p < len(labels) and isinstance(labels[p], str) and labels[p].strip():
                    period_doc["description"] = labels[p].strip()
                doc["tou_periods"].append(period_doc)
        groups: dict[tuple[int, ...], list[int]] = {}
        for m in range(12):
            key = tuple(sorted(set(wd[m]) | set(we[m])))
            groups.setdefault(key, []).append(m + 1)
        for key, months in groups.items():
            units = {periods[p][1] for p in key}
            if len(units) > 1:
                raise UrdbError(f"periods {list(key)} used in the same months mix tier units {sorted(units)}",
                                field="energyratestructure")
            unit = units.pop()
            if unit not in limit_per:
                raise UrdbError(f"tier unit {unit!r} is not supported (kWh, kWh daily, kWh/kW)",
                                field=f"energyratestructure.{key[0]}.0.unit")
            comp: dict[str, Any] = {
                "type": "energy",
                "name": "energy" if len(groups) == 1 else f"energy_m{'-'.join(str(m) for m in months)}",
                "description": "Energy",
                "unit": "kWh",
                "block_limit_per": limit_per[unit],
            }
            if len(groups) > 1:
                comp["months"] = months
            if multi:
                comp["tou"] = {f"energy_{p}": periods[p][0] for p in key}
                if tier_basis == "total":
                    shapes = {tuple(b.get("upto") for b in periods[p][0]) for p in key}
                    if len(shapes) > 1:
                        raise UrdbError(
                            f"periods {list(key)} share months but have different tier limits; "
                            "tier limits on total use need the same limits (import with tier_basis='period')",
                            field="energyratestructure",
                        )
                comp["tier_basis"] = tier_basis
            else:
                comp["blocks"] = periods[key[0]][0]
            components.append(comp)

    demand_unit = rate.get("demandunits") or rate.get("flatdemandunit") or "kW"
    if demand_unit != "kW":
        raise UrdbError(f"demand units {demand_unit!r} are not supported (kW only)", field="demandunits")
    ratchet = None
    pct = rate.get("demandratchetpercentage")
    if pct and any(float(x) for x in pct):
        values = {str(_num(x, "demandratchetpercentage", 4)) for x in pct}
        if len(values) > 1:
            raise UrdbError("month-dependent ratchet percentages are not supported", field="demandratchetpercentage")
        fraction = Decimal(values.pop())
        ratchet = {"percent": str((fraction * 100).normalize()), "months": 11}

    if rate.get("flatdemandstructure"):
        flat = _tiers(rate["flatdemandstructure"], "flatdemandstructure", energy=False)
        months_of = rate.get("flatdemandmonths")
        if months_of is None:
            months_of = [0] * 12
        if not isinstance(months_of, list) or len(months_of) != 12:
            raise UrdbError("must list 12 period indices", field="flatdemandmonths")
        for p in range(len(flat)):
            months = [m + 1 for m in range(12) if months_of[m] == p]
            if not months:
                continue
            comp = {
                "type": "demand",
                "name": f"demand_flat_{p}" if len(flat) > 1 else "demand_flat",
                "description": "Demand",
                "blocks": flat[p][0],
            }
            if len(flat) > 1:
                comp["months"] = months
            if ratchet:
                comp["ratchet"] = ratchet
            components.append(comp)
        for m, p in enumerate(months_of):
            if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < len(flat):
                raise UrdbError(f"period index {p!r} is not in 0..{len(flat) - 1}", field=f"flatdemandmonths.{m}")

    if rate.get("demandratestructure"):
        tou = _tiers(rate["demandratestructure"], "demandratestructure", energy=False)
        n = len(tou)
        wd = _schedule(rate, "demandweekdayschedule", n)
        we = _schedule(rate, "demandweekendschedule", n)
        for p in sorted({p for s in (wd, we) for row in s for p in row}):
            doc["tou_periods"].append({"name": f"demand_{p}", "group": "demand", "windows": _windows(wd, we, p)})
            comp = {
                "type": "demand",
                "name": f"demand_tou_{p}",
                "description": f"Demand, period {p}",
                "window": f"demand_{p}",
                "blocks": tou[p][0],
            }
            components.append(comp)

    minimum = rate.get("mincharge", rate.get("minmonthlycharge"))
    if minimum not in (None, 0, 0.0, "0"):
        units = rate.get("minchargeunits") if "mincharge" in rate else "$/month"
        if units == "$/year":
            raise UrdbError("annual minimum charges are not supported", field="minchargeunits")
        amount, per = _charge_units(minimum, units, "mincharge")
        components.append({"type": "minimum", "name": "minimum", "description": "Minimum charge",
                           "amount": str(amount), "per": per})
    if rate.get("annualmincharge"):
        raise UrdbError("annual minimum charges are not supported", field="annualmincharge")
    if not components:
        raise UrdbError("the rate has no charges ratepayer can use", field="energyratestructure")

    note = None
    if rate.get("startdate"):
        from datetime import UTC, datetime

        try:
            note = "URDB startdate " + datetime.fromtimestamp(int(rate["startdate"]), UTC).date().isoformat()
        except (TypeError, ValueError, OverflowError):
            note = f"URDB startdate {rate['startdate']!r}"
    doc["versions"] = [{"effective": "1900-01-01", "note": note, "components": components}]
    return doc


def urdb_to_tariff(rate: dict[str, Any], *, tier_basis: str = "total", source: str | None = None) -> Tariff:
    """Convert a URDB rate object (or an API response with one item)."""
    doc = urdb_to_document(rate, tier_basis=tier_basis)
    return parse_tariff(doc, source=source)
