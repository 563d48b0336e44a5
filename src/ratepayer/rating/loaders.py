"""Loading tariffs and loads from files.

* ``load_tariff(path)``: a ratepayer tariff document (YAML or JSON) or a URDB
  JSON file (a rate object or an API response with ``items``), detected by
  content.
* ``load_interval_csv(path, tz)``: ``start,kwh[,kw]`` rows, local ISO times.
* ``load_green_button(path, tz)``: ESPI XML through
  ``ratepayer.formats.greenbutton.parse`` (the first delivered-energy meter
  reading in Wh); a minimal reader here is the fallback only if that module
  cannot be imported.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .calendar import TimestampError, local_to_epoch
from .model import Tariff, TariffError, parse_tariff
from .urdb import is_urdb, pick_rate, urdb_to_tariff
from .usage import IntervalUsage, RatingError

EXAMPLES = Path(__file__).with_name("examples")


class LoadError(ValueError):
    """A load file that cannot be read, naming the file and line."""


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TariffError(f"cannot read: {exc.strerror}", source=str(path)) from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise TariffError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                              source=str(path)) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise TariffError(f"invalid YAML{where}: {getattr(exc, 'problem', exc)}", source=str(path)) from exc


def find_example(name: str) -> Path | None:
    """A shipped example by file name (with or without extension) or tariff id."""
    for path in example_paths():
        if name in (path.name, path.stem):
            return path
    for path in example_paths():
        data = _read_document(path)
        if isinstance(data, dict) and data.get("id") == name:
            return path
    return None


def load_tariff(path: str | Path, *, urdb_label: str | None = None, tier_basis: str = "total") -> Tariff:
    """A tariff from a file: ratepayer YAML/JSON, or URDB JSON (detected); a
    path that is not a file is looked up among the shipped examples by name
    (``snopud_schedule_7``, ``snopud_schedule_7.yaml``) or id (``snopud-schedule-7``)."""
    p = Path(path)
    if not p.exists():
        example = find_example(str(path)) if not p.is_absolute() and len(p.parts) == 1 else None
        if example is None:
            names = ", ".join(e.stem for e in example_paths())
            raise TariffError(f"no such tariff file, and no shipped example of that name (examples: {names})",
                              source=str(path))
        p = example
    data = _read_document(p)
    if is_urdb(data):
        return urdb_to_tariff(pick_rate(data, urdb_label), tier_basis=tier_basis, source=str(p))
    return parse_tariff(data, source=str(p))


def example_paths() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def _infer_minutes(epoch: np.ndarray, source: str) -> int:
    if len(epoch) < 2:
        raise LoadError(f"{source}: need at least two intervals to infer the interval length")
    diffs = np.diff(epoch)
    minutes = int(np.median(diffs)) // 60
    if minutes <= 0 or 1440 % minutes:
        raise LoadError(f"{source}: interval length {minutes} min does not divide a day")
    bad = np.flatnonzero(diffs != minutes * 60)
    if len(bad):
        i = int(bad[0])
        raise LoadError(
            f"{source}: line {i + 3}: interval is {int(diffs[i]) // 60} min after the previous one; "
            f"the file's interval is {minutes} min (gaps or duplicates are not allowed)"
        )
    return minutes


def _parse_time(text: str, source: str, line: int) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise LoadError(f"{source}: line {line}: start {text!r} is not an ISO date-time") from exc


def load_interval_csv(path: str | Path | bytes, tz: str) -> IntervalUsage:
    """``start,kwh[,kw]`` CSV -> IntervalUsage for one meter."""
    if isinstance(path, bytes):
        text, source = path.decode("utf-8-sig"), "<csv>"
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise LoadError(f"{source}: cannot read: {exc.strerror}") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise LoadError(f"{source}: empty file") from exc
    if header[:2] != ["start", "kwh"] or any(h not in ("start", "kwh", "kw") for h in header):
        raise LoadError(f"{source}: line 1: header must be start,kwh or start,kwh,kw (got {','.join(header)})")
    has_kw = "kw" in header
    times: list[datetime] = []
    kwh: list[float] = []
    kw: list[float] = []
    for n, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise LoadError(f"{source}: line {n}: expected {len(header)} fields, got {len(row)}")
        times.append(_parse_time(row[0], source, n))
        for col, target in ((1, kwh), (2, kw)) if has_kw else ((1, kwh),):
            try:
                d = Decimal(row[col].strip())
            except InvalidOperation as exc:
                raise LoadError(f"{source}: line {n}: {header[col]} {row[col]!r} is not a number") from exc
            if not d.is_finite():
                raise LoadError(f"{source}: line {n}: {header[col]} {row[col]!r} is not finite")
            # any number of places: a meter's kW / 4 (0.387750) is exact to 6 places, and the
            # engine keeps interval values to 6 places (1 mWh)
            target.append(float(d))
    if not times:
        raise LoadError(f"{source}: no intervals")
    try:
        epoch = local_to_epoch(times, tz)
    except TimestampError as exc:
        raise LoadError(f"{source}: {exc}") from exc
    minutes = _infer_minutes(epoch, source)
    values = np.array(kwh, dtype=np.float64)
    demand = np.array(kw, dtype=np.float64)[None, :] if has_kw else None
    return IntervalUsage(epoch=epoch, values=values, interval_minutes=minutes, tz=tz, demand_kw=demand)


def load_green_button(path: str | Path, tz: str) -> IntervalUsage:
    """Green Button ESPI XML (electricity delivered, Wh) -> IntervalUsage in kWh."""
    try:
        from ratepayer.formats import greenbutton
    except ImportError:  # pragma: no cover - the formats package is part of ratepayer
        return _minimal_green_button(Path(path), tz)
    source = str(path)
    try:
        data = greenbutton.parse(Path(path))
    except Exception as exc:  # FormatError and friends: report with the file name
        raise LoadError(f"{source}: {exc}") from exc
    candidates = []
    for meter in data.meter_readings:
        rt = meter.reading_type
        if rt.uom == 72 and rt.flow_direction in (None, 1) and meter.readings:
            candidates.append(meter)
    if not candidates:
        found = sorted({f"{m.unit or '?'} (flow {m.reading_type.flow_direction})" for m in data.meter_readings})
        raise LoadError(f"{source}: no delivered electricity interval readings in Wh; found {found or 'none'}")
    meter = candidates[0]
    readings = sorted(meter.readings, key=lambda r: r.start)
    durations = {r.duration for r in readings}
    if len(durations) != 1:
        raise LoadError(f"{source}: readings have different durations {sorted(durations)}")
    starts = [r.start for r in readings]
    values = [float(r.value / 1000) for r in readings]
    return _usage_from(starts, values, durations.pop(), tz, source)


def _usage_from(starts: list[int], values: list[float], duration: int | None, tz: str, source: str) -> IntervalUsage:
    if not starts:
        raise LoadError(f"{source}: no interval readings")
    order = np.argsort(np.array(starts))
    epoch = np.array(starts, dtype=np.int64)[order]
    vals = np.round(np.array(values, dtype=np.float64)[order], 4)
    minutes = (duration or 3600) // 60
    diffs = np.diff(epoch)
    if len(diffs) and np.any(diffs != minutes * 60):
        i = int(np.flatnonzero(diffs != minutes * 60)[0])
        raise LoadError(f"{source}: reading {i + 2} is not {minutes} min after the previous one (gap or overlap)")
    try:
        return IntervalUsage(epoch=epoch, values=vals, interval_minutes=minutes, tz=tz)
    except RatingError as exc:
        raise LoadError(f"{source}: {exc}") from exc


def _minimal_green_button(path: Path, tz: str) -> IntervalUsage:
    import defusedxml.ElementTree as ET

    source = str(path)
    try:
        root = ET.parse(path).getroot()
    except Exception as exc:
        raise LoadError(f"{source}: not readable XML: {exc}") from exc
    ns = "{http://naesb.org/espi}"
    rt = root.find(f".//{ns}ReadingType")
    power = 0
    uom = 72
    if rt is not None:
        power = int(rt.findtext(f"{ns}powerOfTenMultiplier", "0") or 0)
        uom = int(rt.findtext(f"{ns}uom", "72") or 72)
        flow = rt.findtext(f"{ns}flowDirection")
        if flow not in (None, "1"):
            raise LoadError(f"{source}: only delivered energy (flowDirection 1) is supported, found {flow}")
    if uom != 72:
        raise LoadError(f"{source}: unit of measure {uom} is not Wh (72)")
    starts: list[int] = []
    values: list[float] = []
    duration: int | None = None
    scale = Decimal(10) ** power / 1000  # Wh x 10^power -> kWh
    for reading in root.iter(f"{ns}IntervalReading"):
        tp = reading.find(f"{ns}timePeriod")
        if tp is None:
            continue
        start = int(tp.findtext(f"{ns}start", "0"))
        duration = int(tp.findtext(f"{ns}duration", "0"))
        raw = reading.findtext(f"{ns}value")
        if raw is None:
            raise LoadError(f"{source}: a reading at {start} has no value")
        starts.append(start)
        values.append(float(Decimal(raw) * scale))
    return _usage_from(starts, values, duration, source=source, tz=tz)
