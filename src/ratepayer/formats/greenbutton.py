"""Green Button (NAESB REQ.21 ESPI) XML reader.

Spec: NAESB REQ.21 Energy Services Provider Interface, as summarised in
reference/DOMAIN.md §C.5. An Atom feed (``http://www.w3.org/2005/Atom``) whose entries hold
ESPI resources (``http://naesb.org/espi``) linked by ``link rel="self|up|related"``:
UsagePoint → MeterReading → IntervalBlock(s), with a ReadingType per MeterReading, plus
LocalTimeParameters.

* XML is parsed with ``defusedxml`` (no entity expansion, no external DTDs).
* Readings: physical value = ``value × 10^powerOfTenMultiplier`` in ``uom`` (72 = Wh,
  169 = therm …), exact ``Decimal``; ``cost`` is in 1/100,000 of the currency unit and is
  returned as Decimal currency units; times are UTC epoch seconds (``start``) and seconds
  (``duration``); ``ReadingQuality/quality`` is kept when present.
* Resources are tied together by their Atom links (a MeterReading belongs to the
  UsagePoint whose related link is the MeterReading's self or up href, or whose self
  href is a prefix of it; same for IntervalBlocks and ReadingTypes), which also handles
  "containerized" feeds. With a single UsagePoint / ReadingType, unlinked resources are
  attached to it.

``parse(path_or_bytes)`` is the entry point (used by ``ratepayer rate``). It returns
usage points, each with meter readings whose readings are plain lists, with
``MeterReading.to_numpy()`` for vectorized rating and :func:`find_gaps` for gap detection.
ElectricPowerUsageSummary / UsageSummary entries are not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from ratepayer.formats.errors import FormatError, ValidationReport
from ratepayer.formats.text import decode_text

if TYPE_CHECKING:
    import numpy as np

ATOM = "{http://www.w3.org/2005/Atom}"
ESPI = "{http://naesb.org/espi}"

SERVICE_KINDS = {
    0: "ELECTRICITY",
    1: "GAS",
    2: "WATER",
    3: "TIME",
    4: "HEAT",
    5: "REFUSE",
    6: "SEWERAGE",
    7: "RATES",
    8: "TV_LICENSE",
    9: "INTERNET",
}
UOM = {
    0: "",
    5: "A",
    29: "V",
    33: "Hz",
    38: "W",
    42: "m3",
    61: "VA",
    63: "VAr",
    71: "VAh",
    72: "Wh",
    73: "VArh",
    106: "Ah",
    119: "ft3",
    122: "ft3/h",
    125: "m3/h",
    128: "US gal",
    129: "US gal/h",
    132: "btu",
    169: "therm",
}
QUALITY = {
    0: "valid",
    7: "manually edited",
    8: "estimated using reference day",
    9: "estimated using linear interpolation",
    10: "questionable",
    11: "derived",
    12: "projected (forecast)",
    13: "mixed",
    14: "raw",
    15: "normalized for weather",
    16: "other",
    17: "validated",
    18: "verified",
    19: "revenue-quality",
}
COST_DIVISOR = Decimal(100000)


@dataclass(slots=True)
class ReadingType:
    href: str = ""
    accumulation_behaviour: int | None = None
    commodity: int | None = None
    currency: int | None = None
    data_qualifier: int | None = None
    flow_direction: int | None = None
    interval_length: int | None = None
    kind: int | None = None
    phase: int | None = None
    power_of_ten_multiplier: int = 0
    time_attribute: int | None = None
    uom: int | None = None

    @property
    def unit(self) -> str:
        if self.uom is None:
            return ""
        return UOM.get(self.uom, f"uom {self.uom}")


@dataclass(slots=True)
class Reading:
    start: int  # UTC epoch seconds
    duration: int  # seconds
    value: Decimal  # scaled: value × 10^powerOfTenMultiplier, in the reading type's unit
    raw_value: int
    cost: Decimal | None = None  # currency units (cost / 100000)
    quality: int | None = None

    @property
    def start_utc(self) -> datetime:
        return datetime.fromtimestamp(self.start, tz=UTC)


@dataclass(slots=True)
class IntervalBlock:
    href: str
    start: int | None
    duration: int | None
    readings: list[Reading] = field(default_factory=list)


@dataclass(slots=True)
class MeterReading:
    href: str
    title: str
    reading_type: ReadingType
    blocks: list[IntervalBlock] = field(default_factory=list)

    @property
    def readings(self) -> list[Reading]:
        return [r for b in self.blocks for r in b.readings]

    @property
    def unit(self) -> str:
        return self.reading_type.unit

    @property
    def starts(self) -> list[int]:
        return [r.start for r in self.readings]

    @property
    def durations(self) -> list[int]:
        return [r.duration for r in self.readings]

    @property
    def values(self) -> list[Decimal]:
        return [r.value for r in self.readings]

    @property
    def costs(self) -> list[Decimal | None]:
        return [r.cost for r in self.readings]

    @property
    def total(self) -> Decimal:
        return sum((r.value for r in self.readings), Decimal(0))

    def to_numpy(self) -> dict[str, np.ndarray]:
        """Arrays for vectorized rating: start/duration int64 (s), value float64 (unit)."""
        import numpy as np

        readings = self.readings
        return {
            "start": np.fromiter((r.start for r in readings), dtype=np.int64, count=len(readings)),
            "duration": np.fromiter((r.duration for r in readings), dtype=np.int64, count=len(readings)),
            "value": np.fromiter((float(r.value) for r in readings), dtype=np.float64, count=len(readings)),
        }

    def gaps(self) -> list[Gap]:
        return find_gaps(self.starts, self.durations)


@dataclass(slots=True)
class UsagePoint:
    href: str
    title: str
    kind: int | None
    meter_readings: list[MeterReading] = field(default_factory=list)

    @property
    def service(self) -> str:
        if self.kind is None:
            return ""
        return SERVICE_KINDS.get(self.kind, f"kind {self.kind}")


@dataclass(slots=True)
class LocalTimeParameters:
    tz_offset: int
    dst_offset: int
    dst_start_rule: str
    dst_end_rule: str


@dataclass(slots=True)
class GreenButtonData:
    usage_points: list[UsagePoint]
    local_time: LocalTimeParameters | None = None

    @property
    def meter_readings(self) -> list[MeterReading]:
        return [m for u in self.usage_points for m in u.meter_readings]


@dataclass(frozen=True, slots=True)
class Gap:
    """Time not covered by any reading: ``start`` (inclusive) to ``end`` (exclusive), UTC s.
    ``seconds`` is negative for an overlap (a reading starting before the previous ended)."""

    start: int
    end: int

    @property
    def seconds(self) -> int:
        return self.end - self.start

    @property
    def is_overlap(self) -> bool:
        return self.end < self.start


def find_gaps(starts: list[int] | Any, durations: list[int] | Any) -> list[Gap]:
    """Gaps (and overlaps) between consecutive readings, sorted by start."""
    pairs = sorted(zip((int(s) for s in starts), (int(d) for d in durations), strict=True))
    gaps: list[Gap] = []
    for (s0, d0), (s1, _) in zip(pairs, pairs[1:], strict=False):
        end = s0 + d0
        if s1 != end:
            gaps.append(Gap(end, s1))
    return gaps


# --------------------------------------------------------------------------- parsing


@dataclass(slots=True)
class _Entry:
    title: str
    self_href: str
    up_href: str
    related: list[str]
    resource: Element


def _int(el: Element | None, tag: str) -> int | None:
    if el is None:
        return None
    child = el.find(ESPI + tag)
    if child is None or child.text is None or not child.text.strip():
        return None
    try:
        return int(child.text.strip())
    except ValueError:
        raise FormatError(f"{child.text.strip()!r} is not an integer", field=tag) from None


def _text(el: Element | None, tag: str) -> str:
    if el is None:
        return ""
    child = el.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _entries(root: Element) -> list[_Entry]:
    entries: list[_Entry] = []
    for entry in root.iter(ATOM + "entry"):
        links = entry.findall(ATOM + "link")
        self_href = next((lk.get("href", "") for lk in links if lk.get("rel") == "self"), "")
        up_href = next((lk.get("href", "") for lk in links if lk.get("rel") == "up"), "")
        related = [lk.get("href", "") for lk in links if lk.get("rel") == "related"]
        title = _text(entry, ATOM + "title")
        content = entry.find(ATOM + "content")
        if content is None:
            continue
        for resource in content:
            if isinstance(resource.tag, str) and resource.tag.startswith(ESPI):
                entries.append(_Entry(title, self_href, up_href, related, resource))
    return entries


def _linked(child: _Entry, parent: _Entry) -> bool:
    if child.self_href and child.self_href in parent.related:
        return True
    if child.up_href and child.up_href in parent.related:
        return True
    return bool(parent.self_href and child.self_href.startswith(parent.self_href.rstrip("/") + "/"))


def _reading_type(entry: _Entry) -> ReadingType:
    el = entry.resource
    return ReadingType(
        href=entry.self_href,
        accumulation_behaviour=_int(el, "accumulationBehaviour"),
        commodity=_int(el, "commodity"),
        currency=_int(el, "currency"),
        data_qualifier=_int(el, "dataQualifier"),
        flow_direction=_int(el, "flowDirection"),
        interval_length=_int(el, "intervalLength"),
        kind=_int(el, "kind"),
        phase=_int(el, "phase"),
        power_of_ten_multiplier=_int(el, "powerOfTenMultiplier") or 0,
        time_attribute=_int(el, "timeAttribute"),
        uom=_int(el, "uom"),
    )


def _interval_block(entry: _Entry, reading_type: ReadingType) -> IntervalBlock:
    el = entry.resource
    interval = el.find(ESPI + "interval")
    block = IntervalBlock(entry.self_href, _int(interval, "start"), _int(interval, "duration"))
    scale = reading_type.power_of_ten_multiplier
    for ir in el.iter(ESPI + "IntervalReading"):
        period = ir.find(ESPI + "timePeriod")
        start = _int(period, "start")
        duration = _int(period, "duration")
        raw = _int(ir, "value")
        if start is None or duration is None:
            raise FormatError("IntervalReading without timePeriod start/duration", field="timePeriod")
        if raw is None:
            raise FormatError(f"IntervalReading at {start} has no value", field="value")
        cost_raw = _int(ir, "cost")
        quality_el = ir.find(ESPI + "ReadingQuality")
        block.readings.append(
            Reading(
                start=start,
                duration=duration,
                value=Decimal(raw).scaleb(scale),
                raw_value=raw,
                cost=None if cost_raw is None else Decimal(cost_raw) / COST_DIVISOR,
                quality=_int(quality_el, "quality"),
            )
        )
    return block


def _load(source: str | bytes | Path) -> bytes:
    if isinstance(source, Path):
        return source.read_bytes()
    if isinstance(source, bytes):
        return source
    if source.lstrip().startswith("<"):
        return source.encode("utf-8")
    return Path(source).read_bytes()


def _refuse_stray_text(root, data: bytes) -> None:
    """Atom and ESPI have no mixed content: text beside elements (a line pasted into
    the feed, a fragment of another file) is damage the XML parser would ignore."""
    for element in root.iter():
        if len(element) == 0:
            continue
        for stray in [element.text, *(child.tail for child in element)]:
            if stray and stray.strip():
                snippet = stray.strip()[:40]
                at = data.find(snippet.encode("utf-8", errors="replace"))
                line = data.count(b"\n", 0, at) + 1 if at >= 0 else None
                raise FormatError(f"text outside any element: {snippet!r}", line=line, field="xml")


def parse(source: str | bytes | Path) -> GreenButtonData:
    """Read a Green Button ESPI XML feed (path, bytes, or XML text).

    Raises FormatError when the XML is malformed or unsafe, or a reading lacks its
    time period or value.
    """
    data = _load(source)
    # the checks every text file passes (encoding, NUL, damaged over-long lines); a
    # minified feed on one line is allowed any length
    report = ValidationReport()
    if decode_text(data, report, max_line=0 if data.count(b"\n") <= 1 else None) is None:
        first = report.errors[0]
        raise FormatError(first.message, line=first.line, field=first.field)
    try:
        root = SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        line = getattr(exc, "position", (None, None))[0]
        raise FormatError(f"not well-formed XML: {exc}", line=line, field="xml") from None
    except Exception as exc:  # defusedxml refuses entities / DTDs
        raise FormatError(f"refused: {exc.__class__.__name__}: {exc}", field="xml") from None
    _refuse_stray_text(root, data)
    entries = _entries(root)
    by_kind: dict[str, list[_Entry]] = {}
    for e in entries:
        by_kind.setdefault(e.resource.tag[len(ESPI) :], []).append(e)

    reading_types = [(e, _reading_type(e)) for e in by_kind.get("ReadingType", [])]
    usage_entries = by_kind.get("UsagePoint", [])
    meter_entries = by_kind.get("MeterReading", [])
    block_entries = by_kind.get("IntervalBlock", [])

    usage_points: list[tuple[_Entry, UsagePoint]] = []
    for e in usage_entries:
        category = e.resource.find(ESPI + "ServiceCategory")
        usage_points.append((e, UsagePoint(e.self_href, e.title, _int(category, "kind"))))

    used_blocks: set[int] = set()
    for me in meter_entries:
        rt = next((t for te, t in reading_types if _linked(te, me)), None)
        if rt is None and len(reading_types) == 1:
            rt = reading_types[0][1]
        if rt is None:
            raise FormatError(
                f"MeterReading {me.self_href or me.title!r} has no ReadingType", field="ReadingType"
            )
        meter = MeterReading(me.self_href, me.title, rt)
        for i, be in enumerate(block_entries):
            if i not in used_blocks and _linked(be, me):
                meter.blocks.append(_interval_block(be, rt))
                used_blocks.add(i)
        owner = next((up for ue, up in usage_points if _linked(me, ue)), None)
        if owner is None and len(usage_points) == 1:
            owner = usage_points[0][1]
        if owner is None:
            raise FormatError(
                f"MeterReading {me.self_href or me.title!r} belongs to no UsagePoint", field="UsagePoint"
            )
        owner.meter_readings.append(meter)
    # blocks nobody claimed: with a single meter reading they are its own
    orphans = [i for i in range(len(block_entries)) if i not in used_blocks]
    if orphans:
        meters = [m for _, up in usage_points for m in up.meter_readings]
        if len(meters) != 1:
            raise FormatError(
                f"{len(orphans)} IntervalBlock(s) linked to no MeterReading", field="IntervalBlock"
            )
        for i in orphans:
            meters[0].blocks.append(_interval_block(block_entries[i], meters[0].reading_type))

    local_time = None
    for e in by_kind.get("LocalTimeParameters", []):
        el = e.resource
        local_time = LocalTimeParameters(
            tz_offset=_int(el, "tzOffset") or 0,
            dst_offset=_int(el, "dstOffset") or 0,
            dst_start_rule=_text(el, ESPI + "dstStartRule"),
            dst_end_rule=_text(el, ESPI + "dstEndRule"),
        )
        break
    return GreenButtonData([up for _, up in usage_points], local_time)


def describe(reading: Reading, unit: str) -> str:
    """``2011-01-01 08:00:00+00:00, 1:00:00: 450 Wh($0.112)`` — one line per reading."""
    value = reading.value.normalize()
    cost = "" if reading.cost is None else f"(${reading.cost.normalize()})"
    return f"{reading.start_utc}, {timedelta(seconds=reading.duration)}: {value:f} {unit}{cost}"
