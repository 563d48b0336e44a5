"""Tariff documents as people edit them: YAML text in, stored JSON out, and back.

A rate version stores its tariff document as JSON in a compact canonical form
(defaults left out, decimals as strings). People read and edit it as YAML;
this module converts between the two, finds the YAML line a validation error
points at, and lines two documents up side by side for review. Pure Python:
no database.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import yaml

from ratepayer.rating import Tariff, TariffError, parse_tariff

from .errors import DocumentError

MAX_DOCUMENT_CHARS = 200_000


# --- stored form --------------------------------------------------------------

def _component_first(component: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: component[key] for key in ("type", "name") if key in component}
    ordered.update((k, v) for k, v in component.items() if k not in ordered)
    return ordered


def _tidy(dumped: dict[str, Any], tariff: Tariff) -> dict[str, Any]:
    """Put 'format' first and each component's 'type' and 'name' first, and
    always say the service, so the YAML reads the way docs/tariffs.md
    writes it."""
    dumped.pop("format", None)
    out: dict[str, Any] = {"format": tariff.format}
    for key in ("id", "name", "utility"):
        if key in dumped:
            out[key] = dumped.pop(key)
    out["service"] = dumped.pop("service", tariff.service)
    out.update(dumped)
    for version in out.get("versions", []):
        version["components"] = [_component_first(c) for c in version.get("components", [])]
    return out


def stored_document(tariff: Tariff) -> dict[str, Any]:
    """The JSON document kept on a rate version: canonical and compact
    (``parse_tariff(stored_document(t)) == t``)."""
    return _tidy(tariff.model_dump(mode="json", exclude_defaults=True), tariff)


# --- YAML ---------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; decimals as plain numbers."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):  # noqa: ARG002
        return super().increase_indent(flow, False)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value.normalize(), "f")
    if "." in text:
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)
    return dumper.represent_scalar("tag:yaml.org,2002:int", text)


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    flow = all(not isinstance(item, dict | list) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(list, _represent_list)


def to_yaml(document: Any) -> str:
    """YAML text of a stored document. A valid tariff is shown with exact
    numbers (``0.09231``, not ``'0.09231'``); anything else as it is stored."""
    try:
        tariff = parse_tariff(document)
    except TariffError:
        return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    python = _tidy(tariff.model_dump(mode="python", exclude_defaults=True), tariff)
    return yaml.dump(python, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def parse_yaml(text: str) -> Any:
    """The document in YAML text; DocumentError names the line of a syntax error."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DocumentError(f"the document is {len(text):,} characters; the most a rate version takes is "
                            f"{MAX_DOCUMENT_CHARS:,}")
    if not text.strip():
        raise DocumentError("the document is empty")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        where = f"line {line} column {mark.column + 1}: " if mark is not None else ""
        raise DocumentError(f"{where}not valid YAML: {problem}", line=line) from exc


_PATH_IN_MESSAGE = re.compile(r"\b(versions\.\d+(?:\.components\.\d+)?)\b")


def error_path(error: TariffError) -> str | None:
    """The dotted field path a TariffError names (from its field, or, for
    checks across fields, from its message)."""
    if error.field:
        return error.field
    match = _PATH_IN_MESSAGE.search(str(error))
    return match.group(1) if match else None


def line_of(text: str, path: str | None) -> int | None:
    """The 1-based line in YAML ``text`` where the field ``path``
    (``versions.0.components.2.blocks.1.rate``) is written, or the nearest
    enclosing field that is; None when the text cannot be read."""
    if not path:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path.split("."):
        found = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    found, line = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            found = node.value[int(part)]
            line = found.start_mark.line + 1
        if found is None:
            break
        node = found
    return line


def tariff_from_yaml(text: str) -> Tariff:
    """Parse and validate YAML text; DocumentError names the field and line."""
    data = parse_yaml(text)
    try:
        return parse_tariff(data)
    except TariffError as exc:
        path = error_path(exc)
        line = line_of(text, path)
        where = f"line {line}: " if line else ""
        raise DocumentError(f"{where}{exc}", field=path, line=line) from exc


def problem(document: Any) -> str:
    """Why a stored document cannot bill ("" when it validates). Versions
    written outside the actions (fixtures, old imports) are shown with this."""
    try:
        parse_tariff(document)
    except TariffError as exc:
        return str(exc)
    return ""


# --- one version ----------------------------------------------------------------

def rates_on(document: Any, on_date: date) -> Tariff:
    """The stored document as a tariff holding only the rates in force on
    ``on_date`` (re-dated far back, so that a bill period around that date
    is rated with these rates alone, without proration)."""
    tariff = parse_tariff(document)
    version = tariff.version_on(on_date) or tariff.versions[0]
    return tariff.model_copy(update={"versions": [version.model_copy(update={"effective": date(1900, 1, 1)})]})


def newest_rates(document: Any) -> Any:
    """A document with several sets of rates (as imported whole) cut down to
    its newest set, for a copy; anything else as it is."""
    try:
        tariff = parse_tariff(document)
    except TariffError:
        return document
    if len(tariff.versions) == 1:
        return document
    return stored_document(tariff.model_copy(update={"versions": [tariff.versions[-1]]}))


# --- side by side -------------------------------------------------------------

@dataclass(frozen=True)
class DiffRow:
    left_number: int | None
    left: str
    right_number: int | None
    right: str
    change: str  # equal, replace, delete, insert


def side_by_side(left_text: str, right_text: str) -> list[DiffRow]:
    """Two texts line against line; changed lines marked (difflib opcodes)."""
    left = left_text.splitlines()
    right = right_text.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            i, j = i1 + k, j1 + k
            has_left, has_right = i < i2, j < j2
            rows.append(DiffRow(
                left_number=i + 1 if has_left else None, left=left[i] if has_left else "",
                right_number=j + 1 if has_right else None, right=right[j] if has_right else "",
                change=tag if tag == "equal" or (has_left and has_right) else ("delete" if has_left else "insert"),
            ))
    return rows
