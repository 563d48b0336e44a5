"""OCR scan line on bill stubs: a versioned template, build and parse+validate.

Spec: industry practice as summarised in reference/DOMAIN.md §C.4 (Creditron scan-line
recommendations): OCR-A/OCR-B numerics, fixed-width zero-filled fields, no spaces, and a
check digit. The layout is *ours* to define and must be agreed with the lockbox bank, so
it is a versioned template: field order, widths, the check-digit algorithm and which
fields the check digit covers.

Default layout, template version ``1`` (29 digits)::

    positions  width  field        content
    1-10       10     account      CIS account number, zero-filled
    11-20      10     amount_due   amount due in cents, zero-filled (no decimal point)
    21-28       8     due_date     due date YYYYMMDD
    29          1     check digit  Mod 10, weights 2,1,2,1… from the left, digits of each
                                   product summed (``kernel.checkdigits.mod10_left_21``),
                                   over positions 1-28 (the whole line)

Example: account 100234, $123.45 due 2025-02-10 -> ``0000100234000001234520250210`` + check
digit. :data:`CREDITRON_42` is Creditron's published 42-digit example layout (account 11,
date MMDDYY, rate code 4, gross 10, net 10, check 1), kept to test the algorithm against
their worked example.

Parsing names the field that is wrong (``scan line``, ``check digit``, ``due date`` …)
through :class:`~ratepayer.formats.errors.FormatError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ratepayer.formats.errors import FormatError
from ratepayer.kernel.checkdigits import luhn_check_digit, mod10_left_21
from ratepayer.kernel.money import from_cents, to_cents

CHECK_ALGORITHMS: dict[str, Callable[[str], int]] = {
    "mod10_left_21": mod10_left_21,
    "luhn": luhn_check_digit,
}

# field kinds: "digits" (kept as a string), "cents" (Decimal dollars), "yyyymmdd" / "mmddyy" (date)
KINDS = ("digits", "cents", "yyyymmdd", "mmddyy")


@dataclass(frozen=True, slots=True)
class ScanField:
    name: str
    width: int
    kind: str = "digits"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown scan-line field kind {self.kind!r}")
        if self.kind in ("yyyymmdd", "mmddyy") and self.width != len(self.kind):
            raise ValueError(f"{self.name}: a {self.kind} date is {len(self.kind)} digits wide")
        if self.width < 1:
            raise ValueError(f"{self.name}: width must be at least 1")


@dataclass(frozen=True, slots=True)
class ScanLine:
    template: str
    text: str
    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


@dataclass(frozen=True, slots=True)
class ScanLineTemplate:
    """Field order and widths, then one check digit at the end of the line."""

    version: str
    fields: tuple[ScanField, ...]
    check_algorithm: str = "mod10_left_21"
    check_covers: tuple[str, ...] | None = None  # field names; None = every field (whole line)

    def __post_init__(self) -> None:
        if self.check_algorithm not in CHECK_ALGORITHMS:
            raise ValueError(f"unknown check digit algorithm {self.check_algorithm!r}")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("scan-line field names must be unique")
        for name in self.check_covers or ():
            if name not in names:
                raise ValueError(f"check digit covers unknown field {name!r}")

    @property
    def length(self) -> int:
        return sum(f.width for f in self.fields) + 1

    def _covered(self, parts: Mapping[str, str]) -> str:
        if self.check_covers is None:  # the whole line: the fields in order
            return "".join([parts[f.name] for f in self.fields])
        return "".join([parts[f.name] for f in self.fields if f.name in self.check_covers])

    def check_digit(self, parts: Mapping[str, str]) -> int:
        return CHECK_ALGORITHMS[self.check_algorithm](self._covered(parts))

    def build(self, **values: Any) -> str:
        """The scan line for these field values (ValueError names the field that can't fit)."""
        parts: dict[str, str] = {}
        for f in self.fields:
            if f.name not in values:
                raise ValueError(f"{f.name}: missing")
            parts[f.name] = _encode(f, values[f.name])
        missing = set(values) - set(parts)
        if missing:
            raise ValueError(f"{sorted(missing)[0]}: not a field of scan-line template {self.version}")
        payload = "".join(parts[f.name] for f in self.fields)
        return payload + str(self.check_digit(parts))

    def parse(self, text: str) -> ScanLine:
        """Parse and validate a scan line as read by the OCR; FormatError names the bad field."""
        line = text.strip()
        if not line.isdigit():
            bad = next((c for c in line if not c.isdigit()), "")
            raise FormatError(
                f"{bad!r} is not a digit; a scan line is digits only" if line else "is empty",
                field="scan line",
            )
        if len(line) != self.length:
            raise FormatError(
                f"is {len(line)} digits, template {self.version} needs {self.length}", field="scan line"
            )
        parts: dict[str, str] = {}
        pos = 0
        for f in self.fields:
            parts[f.name] = line[pos : pos + f.width]
            pos += f.width
        check = CHECK_ALGORITHMS[self.check_algorithm]
        expected = check(line[:-1]) if self.check_covers is None else self.check_digit(parts)
        if int(line[-1]) != expected:
            raise FormatError(
                f"is {line[-1]}, expected {expected} ({self.check_algorithm}): a digit was misread or altered",
                field="check digit",
            )
        values = {f.name: _decode(f, parts[f.name]) for f in self.fields}
        return ScanLine(self.version, line, values)


def _encode(f: ScanField, value: Any) -> str:
    if f.kind == "cents":
        cents = to_cents(value)
        if cents < 0:
            raise ValueError(f"{f.name}: negative amount {value}")
        text = str(cents)
    elif f.kind in ("yyyymmdd", "mmddyy"):
        if not isinstance(value, date):
            raise ValueError(f"{f.name}: {value!r} is not a date")
        text = value.strftime("%Y%m%d" if f.kind == "yyyymmdd" else "%m%d%y")
    else:
        text = str(value).strip()
        if not text.isdigit():
            raise ValueError(f"{f.name}: {value!r} is not digits only")
    if len(text) > f.width:
        raise ValueError(f"{f.name}: {text} does not fit {f.width} digits")
    return text.zfill(f.width)


def _decode(f: ScanField, text: str) -> Any:
    if f.kind == "cents":
        return from_cents(int(text))
    if f.kind in ("yyyymmdd", "mmddyy"):
        try:
            if f.kind == "yyyymmdd":
                return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
            yy = int(text[4:6])
            return date((2000 if yy < 70 else 1900) + yy, int(text[:2]), int(text[2:4]))
        except ValueError:
            raise FormatError(
                f"{text!r} is not a date ({f.kind.upper()})", field=f.name.replace("_", " ")
            ) from None
    return text


DEFAULT = ScanLineTemplate(
    version="1",
    fields=(
        ScanField("account", 10),
        ScanField("amount_due", 10, "cents"),
        ScanField("due_date", 8, "yyyymmdd"),
    ),
)

CREDITRON_42 = ScanLineTemplate(
    version="creditron-42",
    fields=(
        ScanField("account", 11),
        ScanField("date", 6, "mmddyy"),
        ScanField("rate_code", 4),
        ScanField("gross_amount", 10, "cents"),
        ScanField("net_amount", 10, "cents"),
    ),
)

TEMPLATES: dict[str, ScanLineTemplate] = {DEFAULT.version: DEFAULT, CREDITRON_42.version: CREDITRON_42}


def build(account: str, amount_due: Decimal, due_date: date, *, template: ScanLineTemplate = DEFAULT) -> str:
    """Scan line for a bill stub with the default (or given) template."""
    return template.build(account=account, amount_due=amount_due, due_date=due_date)


def parse(text: str, *, template: ScanLineTemplate = DEFAULT) -> ScanLine:
    return template.parse(text)
