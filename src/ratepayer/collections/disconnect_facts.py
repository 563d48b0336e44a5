"""The facts file: ``DisconnectFacts`` to and from plain JSON values.

Pure: no Django, no database. ``facts_from_mapping`` reads the documented facts file
(docs/user-guide/explain-a-disconnect-decision.md, field by field) and refuses anything
it cannot use with a ``FactsError`` that names the field (``final_notice.expires_on``,
``medical_certificates[1].received_on``); unknown fields are refused too, so a typo
never silently drops a protection. ``facts_to_mapping`` writes the same shape, so the
inputs of every recorded decision can be stored beside it and replayed through
``ratepayer collections explain --facts``.

Amounts are strings ("212.40") or JSON numbers read exactly (``json.loads`` with
``parse_float=Decimal``; see ``load_facts_json``), at most two decimals. Dates are
YYYY-MM-DD, times HH:MM, weekdays their English names.
"""

from __future__ import annotations

import json
import re
from datetime import date, time
from decimal import Decimal
from typing import Any

from ratepayer.collections.disconnect_rules import (
    SERVICES,
    UTILITY_TYPES,
    WEEKDAY_NAMES,
    DisconnectFacts,
    FactsError,
    FinalNotice,
    MedicalCertificate,
    PaymentArrangement,
    WinterProtectionRequest,
)
from ratepayer.kernel.money import AmountRefused, parse_amount

_TOP = {
    "utility_type", "services", "residential", "space_heating", "nws_zone", "heat_alert_days",
    "winter_request", "medical_certificates", "dispute_open", "arrangement", "past_due_balance",
    "minimum_balance_for_disconnect", "oldest_unpaid_due_date", "final_notice", "landlord_registered",
    "landlord_copy_sent", "closure_dates", "disconnect_weekdays", "disconnect_hours", "at",
    "medical_grace_business_days", "medical_certificate_term_days", "medical_certificates_per_120_days",
    "water_sewer_cutoff_days",
}
_REQUIRED = ("utility_type", "services", "residential")
_WINTER = {
    "notified_on", "annual_seven_percent_of_income", "liheap_applied", "weatherization_applied",
    "weatherization_available", "plan_agreed", "agreed_monthly_payment", "arrears_since_application",
    "plan_first_due", "paid_under_plan", "prior_winter_balance_unpaid",
}
_MEDICAL = {"received_on", "certified_on", "expires_on", "conditions_met"}
_ARRANGEMENT = {"status", "last_missed_on"}
_NOTICE = {"served_on", "valid_from", "expires_on"}
_HOURS = {"start", "end"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HH_MM = re.compile(r"[0-9]{2}:[0-9]{2}")


def load_facts_json(text: str) -> DisconnectFacts:
    """Parse a facts file's text; a malformed file is a ``FactsError`` naming the line."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FactsError("file", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    return facts_from_mapping(data)


def facts_from_mapping(data: object) -> DisconnectFacts:
    """Build ``DisconnectFacts`` from the facts file's JSON object."""
    top = _object(data, "file")
    _known(top, _TOP, "")
    for name in _REQUIRED:
        if name not in top:
            raise FactsError(name, "is required")
    utility_type = _text(top, "utility_type", "utility_type")
    if utility_type not in UTILITY_TYPES:
        raise FactsError("utility_type", f"{utility_type!r} is not one of {', '.join(UTILITY_TYPES)}")
    services = _list(top, "services", "services")
    for index, service in enumerate(services):
        if service not in SERVICES:
            raise FactsError(f"services[{index}]", f"{service!r} is not one of {', '.join(SERVICES)}")
    nws_zone = _optional(top, "nws_zone", _text, "nws_zone")
    values: dict[str, Any] = {
        "utility_type": utility_type,
        "services": frozenset(services),
        "residential": _bool(top, "residential", "residential"),
        "nws_zone": nws_zone,
        "heat_alert_days": _heat_alert_days(top.get("heat_alert_days"), nws_zone),
    }
    for name in ("space_heating", "dispute_open", "landlord_registered", "landlord_copy_sent"):
        if name in top:
            values[name] = _bool(top, name, name)
    for name in ("past_due_balance", "minimum_balance_for_disconnect"):
        if name in top:
            values[name] = _amount(top, name, name)
    for name in ("medical_grace_business_days", "medical_certificate_term_days",
                 "medical_certificates_per_120_days", "water_sewer_cutoff_days"):
        if name in top:
            values[name] = _count(top, name, name)
    if top.get("oldest_unpaid_due_date") is not None:
        values["oldest_unpaid_due_date"] = _date(top, "oldest_unpaid_due_date", "oldest_unpaid_due_date")
    if "closure_dates" in top:
        values["closure_dates"] = frozenset(_date_list(top["closure_dates"], "closure_dates"))
    if "disconnect_weekdays" in top:
        values["disconnect_weekdays"] = _weekdays(top["disconnect_weekdays"])
    if top.get("disconnect_hours") is not None:
        hours = _object(top["disconnect_hours"], "disconnect_hours")
        _known(hours, _HOURS, "disconnect_hours.")
        start = _time(hours, "start", "disconnect_hours.start")
        end = _time(hours, "end", "disconnect_hours.end")
        if not start < end:
            raise FactsError("disconnect_hours", f"start {start:%H:%M} is not before end {end:%H:%M}")
        values["disconnect_hours"] = (start, end)
    if top.get("at") is not None:
        values["at"] = _time(top, "at", "at")
    if top.get("winter_request") is not None:
        values["winter_request"] = _winter(top["winter_request"])
    if "medical_certificates" in top:
        values["medical_certificates"] = tuple(
            _medical(item, f"medical_certificates[{index}]")
            for index, item in enumerate(_list(top, "medical_certificates", "medical_certificates")))
    if top.get("arrangement") is not None:
        values["arrangement"] = _arrangement(top["arrangement"])
    if top.get("final_notice") is not None:
        values["final_notice"] = _notice(top["final_notice"])
    return DisconnectFacts(**values)


def facts_to_mapping(facts: DisconnectFacts) -> dict[str, object]:
    """The facts as the facts file's JSON object (amounts as strings, dates ISO)."""
    winter = facts.winter_request
    return {
        "utility_type": facts.utility_type,
        "services": sorted(facts.services),
        "residential": facts.residential,
        "space_heating": facts.space_heating,
        "nws_zone": facts.nws_zone,
        "heat_alert_days": sorted(day.isoformat() for day in facts.heat_alert_days),
        "winter_request": None if winter is None else {
            "notified_on": _iso(winter.notified_on),
            "annual_seven_percent_of_income": _money(winter.annual_seven_percent_of_income),
            "liheap_applied": winter.liheap_applied,
            "weatherization_applied": winter.weatherization_applied,
            "weatherization_available": winter.weatherization_available,
            "plan_agreed": winter.plan_agreed,
            "agreed_monthly_payment": _money(winter.agreed_monthly_payment),
            "arrears_since_application": _money(winter.arrears_since_application),
            "plan_first_due": _iso(winter.plan_first_due),
            "paid_under_plan": _money(winter.paid_under_plan),
            "prior_winter_balance_unpaid": winter.prior_winter_balance_unpaid,
        },
        "medical_certificates": [
            {"received_on": _iso(item.received_on), "certified_on": _iso(item.certified_on),
             "expires_on": _iso(item.expires_on), "conditions_met": item.conditions_met}
            for item in facts.medical_certificates],
        "dispute_open": facts.dispute_open,
        "arrangement": None if facts.arrangement is None else {
            "status": facts.arrangement.status, "last_missed_on": _iso(facts.arrangement.last_missed_on)},
        "past_due_balance": _money(facts.past_due_balance),
        "minimum_balance_for_disconnect": _money(facts.minimum_balance_for_disconnect),
        "oldest_unpaid_due_date": _iso(facts.oldest_unpaid_due_date),
        "final_notice": None if facts.final_notice is None else {
            "served_on": _iso(facts.final_notice.served_on), "valid_from": _iso(facts.final_notice.valid_from),
            "expires_on": _iso(facts.final_notice.expires_on)},
        "landlord_registered": facts.landlord_registered,
        "landlord_copy_sent": facts.landlord_copy_sent,
        "closure_dates": sorted(day.isoformat() for day in facts.closure_dates),
        "disconnect_weekdays": [WEEKDAY_NAMES[day].lower() for day in sorted(facts.disconnect_weekdays)],
        "disconnect_hours": {"start": f"{facts.disconnect_hours[0]:%H:%M}",
                             "end": f"{facts.disconnect_hours[1]:%H:%M}"},
        "at": None if facts.at is None else f"{facts.at:%H:%M}",
        "medical_grace_business_days": facts.medical_grace_business_days,
        "medical_certificate_term_days": facts.medical_certificate_term_days,
        "medical_certificates_per_120_days": facts.medical_certificates_per_120_days,
        "water_sewer_cutoff_days": facts.water_sewer_cutoff_days,
    }


# --- readers, each naming the field it reads -------------------------------------------


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FactsError(where, f"must be a JSON object {{...}}, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", str: "text", list: "a list", dict: "an object", int: "a number",
            Decimal: "a number"}.get(type(value), type(value).__name__)


def _known(data: dict[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FactsError(f"{prefix}{unknown[0]}",
                         f"is not a facts field (known here: {', '.join(sorted(allowed))})")


def _optional(data: dict[str, Any], key: str, reader, where: str):
    return None if data.get(key) is None else reader(data, key, where)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FactsError(where, f"must be text, not {_kind(value)}")
    return value.strip()


def _bool(data: dict[str, Any], key: str, where: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise FactsError(where, f"must be true or false, not {_kind(value)}")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise FactsError(where, f"must be a list [...], not {_kind(value)}")
    return value


def _count(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FactsError(where, f"must be a whole number of zero or more, not {value!r}")
    return value


def _amount(data: dict[str, Any], key: str, where: str) -> Decimal:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise FactsError(where, f"must be an amount such as \"125.00\", not {_kind(value)}")
    try:
        return parse_amount(str(value), what=where)
    except AmountRefused as exc:
        raise FactsError(where, exc.problem) from None


def _parse_date(value: object, where: str) -> date:
    if not isinstance(value, str):
        raise FactsError(where, f"must be a date YYYY-MM-DD, not {_kind(value)}")
    try:
        if not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError(value)
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FactsError(where, f"{value!r} is not a date YYYY-MM-DD") from None


def _date(data: dict[str, Any], key: str, where: str) -> date:
    return _parse_date(data.get(key), where)


def _optional_date(data: dict[str, Any], key: str, where: str) -> date | None:
    return None if data.get(key) is None else _parse_date(data[key], where)


def _date_list(value: object, where: str) -> list[date]:
    if not isinstance(value, list):
        raise FactsError(where, f"must be a list of dates, not {_kind(value)}")
    return [_parse_date(item, f"{where}[{index}]") for index, item in enumerate(value)]


def _time(data: dict[str, Any], key: str, where: str) -> time:
    value = data.get(key)
    if not isinstance(value, str) or not _HH_MM.fullmatch(value.strip()):
        raise FactsError(where, f"must be a time HH:MM, not {value!r}")
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise FactsError(where, f"{value!r} is not a time HH:MM") from None


def _heat_alert_days(value: object, zone: str | None) -> frozenset[date]:
    """A list of dates for the premise's zone, or an object of zone -> dates from which
    the premise's zone is taken (alerts for other zones do not count)."""
    if value is None:
        return frozenset()
    if isinstance(value, dict):
        days: set[date] = set()
        for key, dates in value.items():
            listed = _date_list(dates, f"heat_alert_days.{key}")
            if zone is not None and key.strip().upper() == zone.upper():
                days.update(listed)
        return frozenset(days)
    return frozenset(_date_list(value, "heat_alert_days"))


def _weekdays(value: object) -> frozenset[int]:
    names = [name.lower() for name in WEEKDAY_NAMES]
    if not isinstance(value, list):
        raise FactsError("disconnect_weekdays", f"must be a list of weekday names, not {_kind(value)}")
    days = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or item.strip().lower() not in names:
            raise FactsError(f"disconnect_weekdays[{index}]", f"{item!r} is not a weekday name such as \"monday\"")
        days.add(names.index(item.strip().lower()))
    return frozenset(days)


def _winter(value: object) -> WinterProtectionRequest:
    data = _object(value, "winter_request")
    _known(data, _WINTER, "winter_request.")
    values: dict[str, Any] = {}
    for key in ("notified_on", "plan_first_due"):
        values[key] = _optional_date(data, key, f"winter_request.{key}")
    for key in ("annual_seven_percent_of_income", "agreed_monthly_payment"):
        values[key] = None if data.get(key) is None else _amount(data, key, f"winter_request.{key}")
    for key in ("arrears_since_application", "paid_under_plan"):
        if data.get(key) is not None:
            values[key] = _amount(data, key, f"winter_request.{key}")
    for key in ("liheap_applied", "weatherization_applied", "weatherization_available", "plan_agreed",
                "prior_winter_balance_unpaid"):
        if key in data:
            values[key] = _bool(data, key, f"winter_request.{key}")
    return WinterProtectionRequest(**values)


def _medical(value: object, where: str) -> MedicalCertificate:
    data = _object(value, where)
    _known(data, _MEDICAL, f"{where}.")
    if data.get("received_on") is None:
        raise FactsError(f"{where}.received_on", "is required")
    values: dict[str, Any] = {
        "received_on": _date(data, "received_on", f"{where}.received_on"),
        "certified_on": _optional_date(data, "certified_on", f"{where}.certified_on"),
        "expires_on": _optional_date(data, "expires_on", f"{where}.expires_on"),
    }
    if "conditions_met" in data:
        values["conditions_met"] = _bool(data, "conditions_met", f"{where}.conditions_met")
    return MedicalCertificate(**values)


def _arrangement(value: object) -> PaymentArrangement:
    data = _object(value, "arrangement")
    _known(data, _ARRANGEMENT, "arrangement.")
    status = _text(data, "status", "arrangement.status") if "status" in data else "kept"
    if status not in ("kept", "broken"):
        raise FactsError("arrangement.status", f"{status!r} is not 'kept' or 'broken'")
    return PaymentArrangement(status=status,
                              last_missed_on=_optional_date(data, "last_missed_on", "arrangement.last_missed_on"))


def _notice(value: object) -> FinalNotice:
    data = _object(value, "final_notice")
    _known(data, _NOTICE, "final_notice.")
    for key in ("served_on", "valid_from", "expires_on"):
        if data.get(key) is None:
            raise FactsError(f"final_notice.{key}", "is required when a final notice is given")
    return FinalNotice(served_on=_date(data, "served_on", "final_notice.served_on"),
                       valid_from=_date(data, "valid_from", "final_notice.valid_from"),
                       expires_on=_date(data, "expires_on", "final_notice.expires_on"))
