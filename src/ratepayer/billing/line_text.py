"""Bill line descriptions in the customer's language, at render time.

The pure ``rating`` package (no Django) writes each line's description in
English from two things: the tariff's own words (a charge's ``description``,
a time-of-use period's name) and a few fixed phrases of its own
(``rating/lines.py``):

    {label}[ per meter| per dwelling unit][, {time-of-use period}]
        [, first|next|over {n} {unit}[/day|/month| per kW]][, {d} of 30 days]
        [, {d}/{D} of the period][ ({start} to {end})]
    {label}, {p}% of {what}[ (gross-up)][ ({start} to {end})]
    {label} (minimum {pieces} exceeds regular charges)

A bill line stores that English text (the console and the audit trail show
it). ``translate_description`` takes it apart by those fixed phrases from the
end, looks the tariff's words up in the gettext catalogs under the context
``tariff`` (``pgettext``; the shipped tariffs' words are listed in
``tariff_words.py`` so ``makemessages`` keeps them) and puts the line together
again with the translated phrases, dates in the bill's U.S. format. Words no
catalog translates stay as the tariff wrote them: a missing translation never
breaks a bill. Call it with the customer's language active
(``translation.override``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

DATES = re.compile(r" \((\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})\)$")
PERIOD_SHARE = re.compile(r", (\d+)/(\d+) of the period$")
BLOCK = re.compile(r", (first|next|over) ([\d,]+(?:\.\d+)?) (\S+?)(/day|/month| per kW)?$")
THIRTY_DAY = re.compile(r", (\d+) of 30 days$")
PERCENT = re.compile(r", ([\d,]+(?:\.\d+)?)% of (.+?)( \(gross-up\))?$")
MINIMUM = re.compile(r" \(minimum (.+) exceeds regular charges\)$")
EACH = re.compile(r" per (meter|dwelling unit)$")
MINIMUM_PIECE = re.compile(r"^\$([\d.,]+)/(day|month|bill)(?: x (\d+) days)?$")
# a line another app bills (billrun.ExtraLine): a long-term contract's installment
CONTRACT = re.compile(r"^(Sewer connection charge|Conservation loan|Past-due balance) #(\d+), "
                      r"installment (\d+): (principal|interest)$")
CONNECTED_LOAD = re.compile(r"^\$([\d.,]+)/kW/(day|month|bill) over ([\d,.]+) kW connected load$")


def tariff_word(text: str) -> str:
    """A tariff's own words (a charge's description, a time-of-use period) in the active language."""
    return pgettext("tariff", text)


def _block(word: str, quantity: str, unit: str, per: str | None) -> str:
    values = {"quantity": quantity, "unit": unit}
    texts = {
        ("first", None): _("first %(quantity)s %(unit)s"),
        ("next", None): _("next %(quantity)s %(unit)s"),
        ("over", None): _("over %(quantity)s %(unit)s"),
        ("first", "/day"): _("first %(quantity)s %(unit)s a day"),
        ("next", "/day"): _("next %(quantity)s %(unit)s a day"),
        ("over", "/day"): _("over %(quantity)s %(unit)s a day"),
        ("first", "/month"): _("first %(quantity)s %(unit)s a month"),
        ("next", "/month"): _("next %(quantity)s %(unit)s a month"),
        ("over", "/month"): _("over %(quantity)s %(unit)s a month"),
        ("first", " per kW"): _("first %(quantity)s %(unit)s per kW"),
        ("next", " per kW"): _("next %(quantity)s %(unit)s per kW"),
        ("over", " per kW"): _("over %(quantity)s %(unit)s per kW"),
    }
    return texts[(word, per)] % values


def _what(what: str) -> str:
    """What a percent rider is a percent of: the bill, or line kinds and charge names."""
    names = {"bill": pgettext("percent of", "bill"), "energy": pgettext("percent of", "energy"),
             "fixed": pgettext("percent of", "fixed charges"), "demand": pgettext("percent of", "demand"),
             "minimum": pgettext("percent of", "minimum"), "rider": pgettext("percent of", "riders"),
             "tax": pgettext("percent of", "taxes")}
    return ", ".join(names.get(part, tariff_word(part)) for part in what.split(", "))


def _minimum_piece(piece: str) -> str:
    if m := MINIMUM_PIECE.match(piece):
        rate, per, days = m.groups()
        if per == "day":
            return _("$%(rate)s a day × %(days)s days") % {"rate": rate, "days": days}
        return (_("$%(rate)s a month") if per == "month" else _("$%(rate)s a bill")) % {"rate": rate}
    if m := CONNECTED_LOAD.match(piece):
        rate, per, over = m.groups()
        text = {"day": _("$%(rate)s per kW a day of connected load over %(over)s kW"),
                "month": _("$%(rate)s per kW a month of connected load over %(over)s kW"),
                "bill": _("$%(rate)s per kW a bill of connected load over %(over)s kW")}[per]
        return text % {"rate": rate, "over": over}
    return piece


def _label(text: str) -> str:
    """The tariff's words left when the fixed phrases are taken off: a charge's
    description, perhaps followed by a time-of-use period (", On-peak")."""
    translated = tariff_word(text)
    if translated != text or ", " not in text:
        return translated
    label, _sep, period = text.partition(", ")
    return f"{tariff_word(label)}, {_label(period)}"


def _contract_line(kind: str, number: str, installment: str, part: str) -> str:
    kinds = {"Sewer connection charge": pgettext("contract", "Sewer connection charge"),
             "Conservation loan": pgettext("contract", "Conservation loan"),
             "Past-due balance": pgettext("contract", "Past-due balance")}
    parts = {"principal": pgettext("contract", "principal"), "interest": pgettext("contract", "interest")}
    return _("%(contract)s #%(number)s, installment %(installment)s: %(part)s") % {
        "contract": kinds[kind], "number": number, "installment": installment, "part": parts[part]}


def translate_description(description: str, format_date: Callable[[date], str]) -> str:
    """``description`` (as rating wrote it, in English) in the active language."""
    if m := CONTRACT.match(description):
        return _contract_line(*m.groups())
    text, tail = description, []
    if m := DATES.search(text):
        start, end = (format_date(date.fromisoformat(d)) for d in m.groups())
        tail.append(" (" + _("%(start)s to %(end)s") % {"start": start, "end": end} + ")")
        text = text[:m.start()]
    if m := MINIMUM.search(text):
        pieces = " + ".join(_minimum_piece(p) for p in m.group(1).split(" + "))
        tail.append(" (" + _("minimum %(pieces)s exceeds regular charges") % {"pieces": pieces} + ")")
        text = text[:m.start()]
    if m := PERIOD_SHARE.search(text):
        tail.append(", " + _("%(days)s/%(period_days)s of the period") % {"days": m.group(1),
                                                                           "period_days": m.group(2)})
        text = text[:m.start()]
    if m := THIRTY_DAY.search(text):
        tail.append(", " + _("%(days)s of 30 days") % {"days": m.group(1)})
        text = text[:m.start()]
    if m := BLOCK.search(text):
        tail.append(", " + _block(*m.groups()))
        text = text[:m.start()]
    if m := PERCENT.search(text):
        percent = _("%(percent)s%% of %(what)s") % {"percent": m.group(1), "what": _what(m.group(2))}
        tail.append(", " + percent + (" " + _("(gross-up)") if m.group(3) else ""))
        text = text[:m.start()]
    if m := EACH.search(text):
        each = _("%(charge)s per meter") if m.group(1) == "meter" else _("%(charge)s per dwelling unit")
        return each % {"charge": _label(text[:m.start()])} + "".join(reversed(tail))
    return _label(text) + "".join(reversed(tail))
