"""Collection notices as documents: the PDF a customer (or a property owner)
reads, and the e-mail that carries it.

The input is :class:`NoticeDocument`, a plain dataclass of everything a notice
shows — no Django model — so the notice record of the daily job (``models``)
maps itself to one and this module never reads the database. A notice is
rendered like a bill (``billing.documents``): HTML templates
(``templates/collections/notices/<kind>.html`` on ``notice_base.html``) and one
stylesheet (``notice.css``) through WeasyPrint, in the customer's language (the
gettext catalogs in ``ratepayer/locale``), with U.S. amounts and dates in every
language (``kernel.money.format_money``, ``customers.i18n.customer_date``).
Where a notice asks for money it carries the bill's remittance stub with the
same OCR scan line (``formats.scanline``): account, amount to pay, pay-by date.

The legal content follows reference/DOMAIN.md Part A: every PUD (and city
electric) delinquency or disconnect notice describes the customer's duties for
winter protection (RCW 54.16.285(1)-(2), RCW 35.21.300); every notice of an
electric or water utility states the heat-alert reconnection right and how to
ask for it (RCW 54.16.285(5)-(7), 57.08.081(8)-(10), 35.21.302); the medical
emergency postponement (WAC 480-100-128, followed as practice), how to dispute,
the water-sewer 30-day rule and the statement to a tenant that a registered
owner gets a copy (RCW 57.08.081(5), (7)); the collection-agency advice
(RCW 19.16.500); the late-fee disclosure (RCW 19.29A.020); assistance programs.
Statute citations are never translated.

docs/operator-guide/notice-documents.md describes the notices for operators.
"""

from __future__ import annotations

import re
import threading
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import time_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from ratepayer.billing.documents import BILL_USER_AGENT_CSS, refuse_fetch
from ratepayer.customers.i18n import customer_date, customer_language
from ratepayer.db.bulk import gc_paused
from ratepayer.formats import scanline
from ratepayer.kernel.money import format_money

ZERO = Decimal("0.00")
STYLESHEET = Path(__file__).parent / "templates" / "collections" / "notices" / "notice.css"
# the elements notice templates use beyond the bill's (lists)
NOTICE_USER_AGENT_CSS = BILL_USER_AGENT_CSS + """
h3 { display: block; font-weight: bold }
ol, ul { display: block; padding-left: 14pt; margin: 3pt 0 }
li { display: list-item }
ol { list-style-type: decimal }
ul { list-style-type: disc }
"""

KINDS = ("past_due", "final", "disconnect_day", "disconnected", "agency_advice", "lien_notice", "landlord_copy")
# the notice record's kinds (models.core.Notice.Kind) that are named otherwise here
KIND_ALIASES = {"disconnect": "disconnect_day", "reconnect_rights": "disconnected", "agency_warning": "agency_advice",
                "lien": "lien_notice"}
UTILITY_TYPES = ("pud", "water_sewer", "city")
SERVICES = ("electric", "water", "sewer", "stormwater", "refuse")
FEE_KINDS = ("late_fee", "notice_fee", "disconnect_fee", "reconnect_fee", "returned_payment_fee", "lien_fee", "other")
# notices that ask the customer to pay by a date: they carry the remittance stub and scan line
ASKS_PAYMENT = ("past_due", "final", "disconnect_day", "disconnected", "agency_advice", "lien_notice")
# notices of a delinquency or a disconnection: the rights sections are on them
DELINQUENCY = ("past_due", "final", "disconnect_day", "disconnected", "landlord_copy")
# the tenant notices a landlord copy may copy
COPYABLE = ("past_due", "final", "disconnect_day", "disconnected")

KIND_TITLES = {
    "past_due": gettext_lazy("Past-due notice"),
    "final": gettext_lazy("Final notice: disconnection of service"),
    "disconnect_day": gettext_lazy("24-hour notice: disconnection scheduled"),
    "disconnected": gettext_lazy("Your service was disconnected: how to restore it"),
    "agency_advice": gettext_lazy("Notice before referral to a collection agency"),
    "lien_notice": gettext_lazy("Notice of delinquent charges: lien on your property"),
    "landlord_copy": gettext_lazy("Copy for the property owner"),
}
SERVICE_NAMES = {
    "electric": pgettext_lazy("notice service", "electric"), "water": pgettext_lazy("notice service", "water"),
    "sewer": pgettext_lazy("notice service", "sewer"), "stormwater": pgettext_lazy("notice service", "stormwater"),
    "refuse": pgettext_lazy("notice service", "garbage"),
}
FEE_NAMES = {
    "late_fee": gettext_lazy("Late fee"), "notice_fee": gettext_lazy("Notice fee"),
    "disconnect_fee": gettext_lazy("Disconnection fee"), "reconnect_fee": gettext_lazy("Reconnection fee"),
    "returned_payment_fee": gettext_lazy("Returned payment fee"), "lien_fee": gettext_lazy("Lien fee"),
}


class NoticeDocumentError(ValueError):
    """A notice that cannot be printed as given; the message names the field."""

    def __init__(self, field_name: str, problem: str):
        self.field = field_name
        super().__init__(f"Notice document: {field_name}: {problem}")


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class PastDueBill:
    """One bill still unpaid (in part): its dates and what of it is unpaid."""
    bill_date: date
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class Fee:
    """A fee on the account the notice counts in the amount to pay. ``kind``
    one of FEE_KINDS; ``description`` is printed as given for ``other``."""
    kind: str
    amount: Decimal
    description: str = ""


@dataclass(frozen=True)
class AssistanceProgram:
    """An agency or program that helps pay utility bills (a Dept. of Commerce
    LIHEAP grantee, the utility's own program). Name and details as the agency
    writes them; they are printed untranslated."""
    name: str
    phone: str = ""
    address: str = ""
    note: str = ""


@dataclass(frozen=True)
class NoticeDocument:
    """Everything a collection notice shows. Amounts are Decimal dollars,
    dates are dates; text fields are printed as given (names, addresses).

    kind: one of KINDS — past_due, final (disconnect notice with its validity
    window), disconnect_day (the 24-hour notice), disconnected (restoration
    rights), agency_advice (RCW 19.16.500: the debt may be assigned to a
    collection agency 30 days after this notice), lien_notice (water-sewer,
    to the owner), landlord_copy (water-sewer, the copy of a tenant's notice
    for a registered owner; ``copied_kind`` names the tenant's notice).
    The addressee is ``customer_name`` at ``mailing_address``: the owner for
    lien_notice and landlord_copy, where ``account_holder`` names the tenant.
    """
    kind: str
    utility_type: str  # pud, water_sewer or city
    language: str
    # the utility
    utility_name: str
    utility_address: tuple[str, ...]
    utility_phone: str
    office_opens: time
    office_closes: time
    # the addressee and the account
    customer_name: str
    mailing_address: tuple[str, ...]
    service_address: str
    account_number: str
    services: tuple[str, ...]
    # dates
    notice_date: date
    pay_by: date | None = None
    earliest_disconnect: date | None = None  # final, disconnect_day
    notice_expires: date | None = None  # final: the last day it allows a disconnection
    disconnected_on: date | None = None  # disconnected
    delinquent_since: date | None = None  # water-sewer: the day the oldest charge became delinquent
    assign_after: date | None = None  # agency_advice: not before notice_date + 30 days
    certify_after: date | None = None  # lien_notice: certification to the county auditor
    # amounts
    past_due_bills: tuple[PastDueBill, ...] = ()
    current_charges: Decimal = ZERO  # billed, not yet due
    fees: tuple[Fee, ...] = ()
    total_to_avoid_action: Decimal = ZERO  # what to pay by pay_by (disconnected: to restore service)
    reconnect_fee: Decimal | None = None
    late_fee_percent: Decimal | None = None  # the late-fee disclosure (RCW 19.29A.020)
    late_fee_minimum: Decimal | None = None
    agency_fee_percent: Decimal | None = None  # agency_advice: the contingent fee that may be added
    lien_interest_percent: Decimal | None = None  # lien_notice: a year, ≤ prime + 4 (RCW 57.08.081(3))
    # help and contacts
    assistance: tuple[AssistanceProgram, ...] = ()
    after_hours_phone: str = ""
    office_address: str = ""  # where a customer can walk in (utility_address is where mail goes)
    low_income_rates: bool = False  # the utility has low-income, senior or disability rates (RCW 57.08.014, 74.38.070)
    residential: bool = True
    landlord_copied: bool = False  # a registered owner gets a copy of this tenant notice
    account_holder: str = ""  # lien_notice, landlord_copy: the tenant or customer whose charges they are
    copied_kind: str = ""  # landlord_copy: the tenant notice copied
    reference: str = ""  # the notice's own number, printed in the corner

    def __post_init__(self) -> None:
        # the notice record's names for a kind are accepted too (Notice.Kind.DISCONNECT -> disconnect_day)
        for name in ("kind", "copied_kind"):
            if getattr(self, name) in KIND_ALIASES:
                object.__setattr__(self, name, KIND_ALIASES[getattr(self, name)])
        self.validate()

    # ----------------------------------------------------------------- checks

    def validate(self) -> None:
        """Refuse a notice that would be wrong or incomplete on paper; the error names the field."""
        if self.kind not in KINDS:
            raise NoticeDocumentError("kind", f"{self.kind!r} is not one of {', '.join(KINDS)}")
        if self.utility_type not in UTILITY_TYPES:
            raise NoticeDocumentError("utility_type", f"{self.utility_type!r} is not one of {', '.join(UTILITY_TYPES)}")
        if not re.fullmatch(r"[a-z]{2}", self.language or ""):
            raise NoticeDocumentError("language", f"{self.language!r} is not a two-letter language code")
        for name in ("utility_name", "utility_phone", "customer_name", "service_address", "account_number"):
            if not str(getattr(self, name) or "").strip():
                raise NoticeDocumentError(name, f"is missing; every {self.kind} notice shows it")
        for name in ("utility_address", "mailing_address"):
            value = getattr(self, name)
            if isinstance(value, str) or not value or not any(str(line).strip() for line in value):
                raise NoticeDocumentError(name, "is missing: give the address as a tuple of lines")
        if not isinstance(self.office_opens, time) or not isinstance(self.office_closes, time):
            raise NoticeDocumentError("office_opens", "office hours are two times of day (datetime.time)")
        if self.office_opens >= self.office_closes:
            raise NoticeDocumentError("office_closes", "the office closes before it opens")
        if not self.services or any(s not in SERVICES for s in self.services):
            raise NoticeDocumentError("services", f"{self.services!r}: name at least one of {', '.join(SERVICES)}")
        if not isinstance(self.notice_date, date):
            raise NoticeDocumentError("notice_date", "is missing")
        for name in ("current_charges", "total_to_avoid_action", "reconnect_fee", "late_fee_percent",
                     "late_fee_minimum", "agency_fee_percent", "lien_interest_percent"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value < 0):
                raise NoticeDocumentError(name, f"{value!r} is not a Decimal amount of zero or more")
        for i, bill in enumerate(self.past_due_bills):
            if not isinstance(bill.amount, Decimal) or bill.amount <= 0:
                raise NoticeDocumentError(f"past_due_bills[{i}].amount", f"{bill.amount!r} is not a positive Decimal")
        for i, fee in enumerate(self.fees):
            if fee.kind not in FEE_KINDS:
                raise NoticeDocumentError(f"fees[{i}].kind", f"{fee.kind!r} is not one of {', '.join(FEE_KINDS)}")
            if fee.kind == "other" and not fee.description.strip():
                raise NoticeDocumentError(f"fees[{i}].description", "a fee of kind 'other' needs its description")
            if not isinstance(fee.amount, Decimal) or fee.amount <= 0:
                raise NoticeDocumentError(f"fees[{i}].amount", f"{fee.amount!r} is not a positive Decimal")
        self._validate_kind()

    def _need(self, name: str, why: str):
        value = getattr(self, name)
        if value is None or value == "" or value == ():
            raise NoticeDocumentError(name, f"is missing; {why}")
        return value

    def _validate_kind(self) -> None:
        kind = self.kind
        if kind in ASKS_PAYMENT:
            self._need("pay_by", f"a {kind} notice says by when to pay")
            if self.total_to_avoid_action <= 0:
                raise NoticeDocumentError("total_to_avoid_action", f"a {kind} notice asks for an amount above $0.00")
            if self.pay_by < self.notice_date:
                raise NoticeDocumentError("pay_by", "is before the notice date")
            if kind != "lien_notice" and not self.past_due_bills:
                raise NoticeDocumentError("past_due_bills", f"is empty; a {kind} notice lists the unpaid bills")
            reconnect = (self.reconnect_fee or ZERO) if kind == "disconnected" else ZERO
            if self.total_to_avoid_action > self.past_due + self.fees_total + reconnect + self.current_charges:
                raise NoticeDocumentError("total_to_avoid_action", "is more than the past-due amount, fees and "
                                          "current charges together")
            try:  # the stub's scan line: the account number and amount must fit it
                scanline.build(self.account_number, self.total_to_avoid_action, self.pay_by)
            except ValueError as exc:
                where = {"account": "account_number", "amount_due": "total_to_avoid_action"}.get(
                    str(exc).split(":", 1)[0], "account_number")
                raise NoticeDocumentError(where, f"does not fit the stub's scan line ({exc})") from None
        if kind == "disconnected" and any(f.kind == "reconnect_fee" for f in self.fees):
            raise NoticeDocumentError("fees", "a disconnected notice shows the reconnection fee once: give it in "
                                      "reconnect_fee, not among the fees")
        if kind in ("final", "disconnect_day"):
            self._need("earliest_disconnect", f"a {kind} notice names the earliest disconnection date")
            if self.earliest_disconnect < self.notice_date:
                raise NoticeDocumentError("earliest_disconnect", "is before the notice date")
        if kind == "final":
            self._need("notice_expires", "a final notice says until when it allows a disconnection")
            if self.notice_expires < self.earliest_disconnect:
                raise NoticeDocumentError("notice_expires", "is before the earliest disconnection date")
        if kind == "disconnected":
            self._need("disconnected_on", "the notice says when service was disconnected")
            self._need("reconnect_fee", "the notice states the reconnection fee (give Decimal('0.00') for none)")
        if kind == "agency_advice":
            self._need("assign_after", "the notice says when the debt may be assigned")
            if self.assign_after < self.notice_date + timedelta(days=30):
                raise NoticeDocumentError("assign_after", "RCW 19.16.500 allows assignment no sooner than 30 days "
                                          f"after the notice ({self.notice_date + timedelta(days=30)})")
        if kind in ("lien_notice", "landlord_copy"):
            if self.utility_type != "water_sewer":
                raise NoticeDocumentError("utility_type", f"a {kind} is a water-sewer district's notice "
                                          "(RCW 57.08.081(3), (7))")
            self._need("account_holder", f"a {kind} names the tenant or customer whose charges they are")
        if kind == "lien_notice":
            self._need("certify_after", "the notice says when the charges may be certified as a lien")
            self._need("lien_interest_percent", "the notice states the lien's interest rate")
        if kind == "landlord_copy":
            if self.copied_kind not in COPYABLE:
                raise NoticeDocumentError("copied_kind", f"{self.copied_kind!r}: name the tenant notice copied, "
                                          f"one of {', '.join(COPYABLE)}")
            if self.copied_kind in ASKS_PAYMENT:
                self._need("pay_by", "the copy shows the tenant notice's pay-by date")
        if self.utility_type == "water_sewer" and kind in ("final", "disconnect_day") \
                or kind == "landlord_copy" and self.copied_kind in ("final", "disconnect_day"):
            since = self._need("delinquent_since", "a water-sewer disconnect notice shows 30 days of delinquency "
                                                   "(RCW 57.08.081(5))")
            if self.earliest_disconnect and self.earliest_disconnect < since + timedelta(days=30):
                raise NoticeDocumentError("earliest_disconnect", "a water-sewer district may shut off service only "
                                          "after charges are delinquent 30 days (RCW 57.08.081(5)): not before "
                                          f"{since + timedelta(days=30)}")

    # ----------------------------------------------------------------- sums

    @property
    def past_due(self) -> Decimal:
        return sum((b.amount for b in self.past_due_bills), ZERO)

    @property
    def fees_total(self) -> Decimal:
        return sum((f.amount for f in self.fees), ZERO)

    @property
    def balance(self) -> Decimal:
        """The whole account balance: past due, fees and current charges."""
        return self.past_due + self.fees_total + self.current_charges

    # ----------------------------------------------------------------- JSON (the outbox keeps a notice as data)

    def as_dict(self) -> dict:
        """JSON-safe: dates ISO, Decimals and times as strings."""
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> NoticeDocument:
        """The inverse of ``as_dict`` (an unknown or missing key is a NoticeDocumentError)."""
        known = {f.name: f for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise NoticeDocumentError(sorted(unknown)[0], "is not a field of a notice document")
        values = {}
        try:
            for name, value in data.items():
                values[name] = _from_json(name, value)
        except (ValueError, InvalidOperation, TypeError) as exc:
            raise NoticeDocumentError(name, f"{value!r} cannot be read: {exc}") from exc
        try:
            return cls(**values)
        except TypeError as exc:  # a required field missing
            missing = next((n for n, f in known.items()
                            if n not in values and f.default is MISSING and f.default_factory is MISSING), "?")
            raise NoticeDocumentError(missing, "is missing") from exc


_DATES = {"notice_date", "pay_by", "earliest_disconnect", "notice_expires", "disconnected_on", "delinquent_since",
          "assign_after", "certify_after"}
_AMOUNTS = {"current_charges", "total_to_avoid_action", "reconnect_fee", "late_fee_percent", "late_fee_minimum",
            "agency_fee_percent", "lien_interest_percent"}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def _from_json(name: str, value):
    if value is None:
        return None
    if name in _DATES:
        return date.fromisoformat(value)
    if name in _AMOUNTS:
        return Decimal(value)
    if name in ("office_opens", "office_closes"):
        return time.fromisoformat(value)
    if name in ("utility_address", "mailing_address", "services"):
        return tuple(value)
    if name == "past_due_bills":
        return tuple(PastDueBill(date.fromisoformat(b["bill_date"]), date.fromisoformat(b["due_date"]),
                                 Decimal(b["amount"])) for b in value)
    if name == "fees":
        return tuple(Fee(f["kind"], Decimal(f["amount"]), f.get("description", "")) for f in value)
    if name == "assistance":
        return tuple(AssistanceProgram(**a) for a in value)
    return value


# --------------------------------------------------------------------------- words and numbers


def format_date(day: date) -> str:
    return customer_date(day)


def format_time(moment: time) -> str:
    """A time of day: "8:00 a.m." in English; each catalog sets its format (context "notice time format")."""
    return time_format(moment, pgettext("notice time format", "g:i a"))


def format_percent(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text}%"


def service_words(services: tuple[str, ...]) -> str:
    names = [str(SERVICE_NAMES[s]) for s in services]
    if len(names) == 1:
        return names[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def office_hours(doc: NoticeDocument) -> str:
    return _("Monday through Friday, %(opens)s to %(closes)s") % {
        "opens": format_time(doc.office_opens), "closes": format_time(doc.office_closes)}


def fee_name(fee: Fee) -> str:
    return fee.description if fee.kind == "other" else str(FEE_NAMES[fee.kind])


def statutes(doc: NoticeDocument) -> dict[str, str]:
    """The citations printed for this utility type (never translated)."""
    if doc.utility_type == "city":
        return {"winter": "RCW 35.21.300", "heat": "RCW 35.21.302"}
    if doc.utility_type == "water_sewer":
        return {"winter": "", "heat": "RCW 57.08.081(8)-(10)"}
    return {"winter": "RCW 54.16.285(1)-(4)", "heat": "RCW 54.16.285(5)-(7)"}


def notice_context(doc: NoticeDocument) -> dict:
    """What the templates show, in the document's language (call with it active)."""
    kind = doc.copied_kind if doc.kind == "landlord_copy" else doc.kind
    heat = doc.residential and any(s in ("electric", "water") for s in doc.services) and kind in DELINQUENCY
    winter = (doc.residential and doc.utility_type in ("pud", "city") and "electric" in doc.services
              and kind in DELINQUENCY)
    water_sewer_rules = doc.utility_type == "water_sewer" and kind in DELINQUENCY
    stub = doc.kind in ASKS_PAYMENT
    rows = [{"label": _("Bill of %(date)s, due %(due)s") % {"date": format_date(b.bill_date),
                                                           "due": format_date(b.due_date)},
             "amount": format_money(b.amount)} for b in doc.past_due_bills]
    rows += [{"label": fee_name(f), "amount": format_money(f.amount)} for f in doc.fees]
    if doc.kind == "disconnected" and doc.reconnect_fee:
        rows.append({"label": str(FEE_NAMES["reconnect_fee"]), "amount": format_money(doc.reconnect_fee)})
    contact = {"phone": doc.utility_phone, "hours": office_hours(doc), "address": ", ".join(doc.utility_address)}
    return {
        "doc": doc, "kind": kind, "language": customer_language(doc.language),
        "title": str(KIND_TITLES[doc.kind]),
        "copied_title": str(KIND_TITLES[doc.copied_kind]) if doc.kind == "landlord_copy" else "",
        "services": service_words(doc.services),
        "notice_date": format_date(doc.notice_date),
        "pay_by": format_date(doc.pay_by) if doc.pay_by else "",
        "earliest_disconnect": format_date(doc.earliest_disconnect) if doc.earliest_disconnect else "",
        "notice_expires": format_date(doc.notice_expires) if doc.notice_expires else "",
        "disconnected_on": format_date(doc.disconnected_on) if doc.disconnected_on else "",
        "delinquent_since": format_date(doc.delinquent_since) if doc.delinquent_since else "",
        "shutoff_from": format_date(doc.delinquent_since + timedelta(days=30)) if doc.delinquent_since else "",
        "assign_after": format_date(doc.assign_after) if doc.assign_after else "",
        "certify_after": format_date(doc.certify_after) if doc.certify_after else "",
        "rows": rows,
        "past_due": format_money(doc.past_due),
        "fees_total": format_money(doc.fees_total),
        "current_charges": format_money(doc.current_charges),
        "balance": format_money(doc.balance + (doc.reconnect_fee or ZERO if doc.kind == "disconnected" else ZERO)),
        "total": format_money(doc.total_to_avoid_action),
        "reconnect_fee": format_money(doc.reconnect_fee) if doc.reconnect_fee is not None else "",
        "late_fee": late_fee_text(doc),
        "agency_fee": format_percent(doc.agency_fee_percent) if doc.agency_fee_percent is not None else "",
        "lien_interest": format_percent(doc.lien_interest_percent) if doc.lien_interest_percent is not None else "",
        "opens": format_time(doc.office_opens), "closes": format_time(doc.office_closes),
        "contact": contact, "statutes": statutes(doc),
        "heat": heat, "winter": winter, "water_sewer_rules": water_sewer_rules,
        "medical": kind in ("past_due", "final", "disconnect_day", "disconnected") and doc.residential,
        "stub": stub,
        "scan_line": scanline.build(doc.account_number, doc.total_to_avoid_action, doc.pay_by) if stub else "",
    }


def late_fee_text(doc: NoticeDocument) -> str:
    """The late-fee disclosure, when the utility charges one."""
    percent, minimum = doc.late_fee_percent, doc.late_fee_minimum
    if percent and minimum:
        return _("A late fee of %(percent)s of the past-due amount, at least %(minimum)s, is charged when a bill "
                 "is not paid by its due date.") % {"percent": format_percent(percent),
                                                    "minimum": format_money(minimum)}
    if percent:
        return _("A late fee of %(percent)s of the past-due amount is charged when a bill is not paid by its "
                 "due date.") % {"percent": format_percent(percent)}
    if minimum:
        return _("A late fee of %(amount)s is charged when a bill is not paid by its due date.") % {
            "amount": format_money(minimum)}
    return ""


# --------------------------------------------------------------------------- rendering

_warm = threading.local()


def _renderer():
    """(HTML class, parsed stylesheet, font configuration, URL fetcher), built once per thread."""
    if not hasattr(_warm, "renderer"):
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        class NoticeFetcher(URLFetcher):
            def fetch(self, url, headers=None):
                return refuse_fetch(url)

        fonts, fetcher = FontConfiguration(), NoticeFetcher()
        css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts, url_fetcher=fetcher)
        user_agent = CSS(string=NOTICE_USER_AGENT_CSS, font_config=fonts, url_fetcher=fetcher)

        class NoticeHTML(HTML):
            def _ua_stylesheets(self, forms=False):
                return [user_agent]

        _warm.renderer = (NoticeHTML, css, fonts, fetcher)
    return _warm.renderer


def rights_sections(context: dict) -> list[str]:
    """The names of the sections of the rights page this notice carries, in reading order."""
    names = []
    if context["water_sewer_rules"]:
        names.append("water_sewer")
    if context["winter"]:
        names.append("winter")
    if context["heat"]:
        names.append("heat")
    if context["medical"]:
        names.append("medical")
    names.append("dispute")
    if context["late_fee"]:
        names.append("late_fee")
    names += ["help", "contact"]
    return names


BLOCK = re.compile(r"<h3>.*?</h3>|<p[^>]*>.*?</p>|<ol>.*?</ol>|<ul[^>]*>.*?</ul>", re.S)
ITEM = re.compile(r"<li>.*?</li>", re.S)
LINE_CHARS = 56  # characters on a line of a rights column (3.6 in of 8 pt DejaVu Sans)


def _lines(html: str) -> float:
    """About how many lines a block takes in a rights column, with its margin."""
    if html.startswith(("<ol", "<ul")):
        return sum(_lines(f"<p>{item[4:-5]}</p>") for item in ITEM.findall(html))
    text = re.sub(r"<[^>]+>", "", html.replace("<br>", "\n"))
    lines = sum(-(-len(part) // (LINE_CHARS - 6 if html.startswith("<h3") else LINE_CHARS)) or 1
                for part in text.split("\n"))
    return lines + 0.5


def _split_columns(sections: list[str]) -> tuple[list[str], list[str]]:
    """The rights page's two columns: the sections' blocks (heading, paragraph,
    list) in reading order, left column top to bottom then the right, cut
    where the two are closest in length (estimated in lines; a heading stays
    with the block after it). A section cut in two continues at the top of
    the right column."""
    blocks: list[tuple[int, str]] = []  # (section index, block html)
    for i, html in enumerate(sections):
        blocks += [(i, b) for b in BLOCK.findall(html)]
    sizes = [_lines(b) + (1 if k == 0 or blocks[k - 1][0] != i else 0) for k, (i, b) in enumerate(blocks)]
    total, best, running = sum(sizes), (float("inf"), len(blocks)), 0.0
    for cut in range(1, len(blocks)):
        running += sizes[cut - 1]
        if blocks[cut - 1][1].startswith("<h3"):
            continue  # never leave a heading at the bottom of the left column
        best = min(best, (max(running, total - running), cut))

    def columns(part: list[tuple[int, str]]) -> list[str]:
        out: list[str] = []
        for i, b in part:
            if out and out[-1][0] == i:
                out[-1] = (i, out[-1][1] + b)
            else:
                out.append((i, b))
        return [f'<div class="section">{html}</div>' for _, html in out]

    cut = best[1]
    return columns(blocks[:cut]), columns(blocks[cut:])


def render_notice_html(doc: NoticeDocument) -> str:
    with translation.override(customer_language(doc.language)):
        context = notice_context(doc)
        sections = [render_to_string(f"collections/notices/section_{name}.html", context)
                    for name in rights_sections(context)]
        left, right = _split_columns(sections)
        context["rights_left"] = [mark_safe(s) for s in left]  # noqa: S308 - rendered by our templates
        context["rights_right"] = [mark_safe(s) for s in right]  # noqa: S308
        return render_to_string("collections/notices/notice.html", context)


def _page_one_overflows(document) -> bool:
    """Whether page 1's text runs into the remittance stub (pinned to the page's
    foot): a long list of unpaid bills, a long translation."""
    boxes = [document.pages[0]._page_box]
    page = stub = None
    while boxes and page is None:
        box = boxes.pop()
        if "page" in (getattr(box, "element", None) is not None and box.element.get("class", "") or "").split():
            page = box
        boxes.extend(getattr(box, "children", ()))
    if page is None or "with-stub" not in page.element.get("class", "").split() \
            or "flowing" in page.element.get("class", "").split():
        return False
    content = []
    for child in page.children:
        classes = (child.element.get("class", "") if getattr(child, "element", None) is not None else "").split()
        if "stub" in classes:
            stub = child
        else:
            content.append(child)
    if stub is None or not content:  # the stub or the end of the text pushed off page 1
        return True
    last = content[-1].element.get("class", "") if getattr(content[-1], "element", None) is not None else ""
    if "contact" not in last.split():
        return True
    return max(c.position_y + c.margin_height() for c in content) > stub.position_y


def render_notice_pdf(doc: NoticeDocument) -> bytes:
    """The notice as a PDF (Letter), in the document's language. When page 1's
    text would run into the stub at its foot, the stub follows the text instead
    (on the next page if need be) and the rights start on the page after."""
    with gc_paused():
        return render_notice_document(doc).write_pdf()


def render_notice_document(doc: NoticeDocument):
    """The laid-out WeasyPrint document of ``render_notice_pdf``."""
    html = render_notice_html(doc)
    html_class, stylesheet, fonts, fetcher = _renderer()
    document = html_class(string=html, url_fetcher=fetcher).render(stylesheets=[stylesheet], font_config=fonts)
    if _page_one_overflows(document):
        html = html.replace('<div class="page with-stub">', '<div class="page with-stub flowing">', 1)
        document = html_class(string=html, url_fetcher=fetcher).render(stylesheets=[stylesheet], font_config=fonts)
    return document


# --------------------------------------------------------------------------- e-mail


def notice_email(doc: NoticeDocument) -> tuple[str, str]:
    """(subject, body) of the e-mail that carries the notice's PDF, in the document's language."""
    with translation.override(customer_language(doc.language)):
        c = notice_context(doc)
        values = {"utility": doc.utility_name, "title": c["title"], "account": doc.account_number,
                  "name": doc.customer_name, "amount": c["total"], "date": c["pay_by"],
                  "disconnect": c["earliest_disconnect"], "phone": doc.utility_phone, "hours": office_hours(doc),
                  "tenant": doc.account_holder, "address": doc.service_address}
        subject = _("%(utility)s: %(title)s — account %(account)s") % values
        lines = [_("Hello %(name)s,") % values, ""]
        lead = {
            "past_due": _("Your account %(account)s is past due. Please pay %(amount)s by %(date)s."),
            "final": _("Your service may be disconnected on or after %(disconnect)s unless you pay %(amount)s by "
                       "%(date)s or make payment arrangements with us."),
            "disconnect_day": _("Your service is scheduled to be disconnected on or after %(disconnect)s. Pay "
                                "%(amount)s or call us today to avoid disconnection."),
            "disconnected": _("Your service was disconnected for nonpayment. To restore it, pay %(amount)s or call "
                              "us to make payment arrangements."),
            "agency_advice": _("Your account %(account)s has an unpaid balance. Unless you pay %(amount)s by "
                               "%(date)s or make payment arrangements, it may be assigned to a collection agency."),
            "lien_notice": _("Water and sewer charges for %(address)s are delinquent. Unless %(amount)s is paid by "
                             "%(date)s, the charges may be certified as a lien on the property."),
            "landlord_copy": _("As you asked, we are sending you a copy of the notice we sent to your tenant "
                               "%(tenant)s at %(address)s."),
        }[doc.kind]
        lines.append(lead % values)
        lines += ["", _("The notice is attached as a PDF. It explains your rights, how to dispute it, and where to "
                        "get help paying."), "",
                  _("Questions? Call us at %(phone)s (%(hours)s).") % values, "", doc.utility_name]
        return subject, "\n".join(lines)


NOTICE_PDF_SOURCE = "notice_pdf"


def notice_pdf_attachment(ref) -> bytes:
    """The outbox's attachment source (registered by CollectionsConfig.ready): the
    notice kept in the message as data (``NoticeDocument.as_dict``), rendered when sent."""
    return render_notice_pdf(NoticeDocument.from_dict(ref))


def notice_filename(doc: NoticeDocument) -> str:
    return f"notice-{doc.kind.replace('_', '-')}-{doc.account_number}-{doc.notice_date:%Y-%m-%d}.pdf"


def queue_notice_email(doc: NoticeDocument, *, to: str, obj=None, account_id: int | None = None):
    """Queue the notice's e-mail with its PDF through the outbox, in the
    customer's language; sent by a worker after the caller's transaction
    commits. Returns the OutboxMessage. ``obj``: the notice record, if any."""
    from ratepayer.outbox import actions as outbox

    subject, body = notice_email(doc)
    return outbox.queue_message(to=to, subject=subject, body=body, kind=f"notice_{doc.kind}"[:40], obj=obj,
                                account_id=account_id,
                                attachments=[outbox.attachment(notice_filename(doc), "application/pdf",
                                                               NOTICE_PDF_SOURCE, doc.as_dict())])


__all__ = ["NoticeDocument", "NoticeDocumentError", "PastDueBill", "Fee", "AssistanceProgram", "KINDS",
           "render_notice_pdf", "render_notice_html", "notice_email", "queue_notice_email", "NOTICE_PDF_SOURCE"]
