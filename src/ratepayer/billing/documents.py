"""Bill documents: the PDF a customer reads, the print-vendor file, e-bills.

The PDF is HTML (``templates/billing/bill_document.html``) and one stylesheet
(``bill_document.css``) rendered by WeasyPrint, in the customer's language
(Django's gettext catalogs in ``ratepayer/locale``, with the customer's
language active; line descriptions by ``line_text``) and U.S. number and date
formats in every language. Documents are never rendered inside a bill run: on demand
(console, e-bill) or by the ``render_bill_documents`` task for a whole run.

Rendering aims at under 100 ms a bill (bench/billpdf.py, docs/operator-guide/bill-documents.md):
the stylesheet is parsed and the fonts are configured once per process (per
thread: fontconfig state is not shared across threads); nothing is fetched
(``refuse_fetch``); the usage chart is an SVG of rectangles with its month
labels as one monospaced line, because every SVG <text> is a separate Pango
layout; the bill's data comes from a fixed five queries, for one bill or a
batch of bills (``bill_contexts``). The remittance stub carries the OCR scan
line from ``formats.scanline`` (layout in docs/formats.md).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from ratepayer.customers.i18n import customer_date, customer_language
from ratepayer.customers.models import Contact
from ratepayer.db.bulk import gc_paused
from ratepayer.formats import scanline
from ratepayer.kernel.money import format_money
from ratepayer.outbox import actions as outbox
from ratepayer.outbox.errors import OutboxError
from ratepayer.rating import rate_text

from .line_text import DATES, translate_description
from .models import Bill, BillDelivery, BillingPolicy, BillRun, BillSegment

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
STYLESHEET = Path(__file__).parent / "templates" / "billing" / "bill_document.css"
# The user-agent rules the bill template needs, instead of WeasyPrint's whole
# HTML5 user-agent sheet (~400 rules, every one matched against every element:
# an eighth of a render). Only these elements appear in bill_document.html.
BILL_USER_AGENT_CSS = """
html, body, div, h1, h2, p { display: block }
head, title, meta { display: none }
body { margin: 8px }
h1 { font-size: 2em; font-weight: bold; margin: .67em 0 }
h2 { font-size: 1.5em; font-weight: bold; margin: .83em 0 }
p { margin: 1em 0 }
strong { font-weight: bold }
br::before { content: "\\A"; white-space: pre-line }
table { display: table; box-sizing: border-box; border-spacing: 2px; border-collapse: separate;
        text-indent: initial; border-color: gray }
tbody { display: table-row-group; vertical-align: middle; border-color: inherit }
tr { display: table-row; vertical-align: inherit; border-color: inherit }
td, th { display: table-cell; padding: 1px; vertical-align: inherit; border-color: gray }
th { font-weight: bold }
colgroup { display: table-column-group }
col { display: table-column }
svg { overflow: hidden }
"""
HISTORY_MONTHS = 13
RENDER_BATCH = 200  # bills whose data is loaded at once by render_run


def scan_line_for(bill: Bill) -> str:
    """The stub's scan line: account, amount due (0 for a credit), due date, check digit."""
    return scanline.build(bill.account.number, max(bill.amount_due, ZERO), bill.due_date)


# --------------------------------------------------------------------------- the bill's data


def usage_histories(bills: list[Bill]) -> dict[int, dict[tuple[str, int], list[tuple[date, date, Decimal, str]]]]:
    """bill id -> (service, service point) -> [(period start, period end, quantity,
    unit)] for the 13 bills up to that bill, oldest first; one query for any
    number of bills. Keyed by service point so that a second premise's electric
    service has its own chart instead of sharing (and doubling) the first one's."""
    if not bills:
        return {}
    since = min(b.period_end for b in bills) - timedelta(days=400)
    rows = (BillSegment.objects.filter(bill__account_id__in={b.account_id for b in bills}, cancelled=False,
                                       period_end__gt=since, period_end__lte=max(b.period_end for b in bills))
            .exclude(unit="").order_by("period_end", "pk")
            .values_list("bill__account_id", "service", "agreement__service_point_id", "period_start", "period_end",
                         "quantity", "unit"))
    by_account: dict[int, list] = defaultdict(list)
    for row in rows:
        by_account[row[0]].append(row[1:])
    out = {}
    for bill in bills:
        earliest = bill.period_end - timedelta(days=400)
        per_service: dict[tuple[str, int], list] = defaultdict(list)
        for service, point, start, end, quantity, unit in by_account.get(bill.account_id, ()):
            if earliest < end <= bill.period_end:
                per_service[(service, point)].append((start, end, quantity, unit))
        out[bill.pk] = {s: v[-HISTORY_MONTHS:] for s, v in per_service.items()}
    return out


def usage_history(bill: Bill) -> dict[tuple[str, int], list[tuple[date, date, Decimal, str]]]:
    return usage_histories([bill])[bill.pk]


# --------------------------------------------------------------------------- words and numbers
# Every word below goes through gettext: call these with the customer's
# language active (``translation.override``, as ``bill_contexts`` does).
# Amounts, quantities and dates are U.S.-formatted in every language.

SERVICE_NAMES = {
    "electric": pgettext_lazy("service", "Electric"), "water": pgettext_lazy("service", "Water"),
    "sewer": pgettext_lazy("service", "Sewer"), "stormwater": pgettext_lazy("service", "Stormwater"),
    "refuse": pgettext_lazy("service", "Refuse"),
}
READ_TYPES = {
    "actual": pgettext_lazy("read type", "actual"), "estimated": pgettext_lazy("read type", "estimated"),
    "customer": pgettext_lazy("read type", "customer read"), "final": pgettext_lazy("read type", "final"),
}
QUANTITY_SOURCES = {
    "register": gettext_lazy("from register reads"), "interval": gettext_lazy("from interval data"),
}
MONTH_ABBREVIATIONS = (
    pgettext_lazy("chart month", "Jan"), pgettext_lazy("chart month", "Feb"), pgettext_lazy("chart month", "Mar"),
    pgettext_lazy("chart month", "Apr"), pgettext_lazy("chart month", "May"), pgettext_lazy("chart month", "Jun"),
    pgettext_lazy("chart month", "Jul"), pgettext_lazy("chart month", "Aug"), pgettext_lazy("chart month", "Sep"),
    pgettext_lazy("chart month", "Oct"), pgettext_lazy("chart month", "Nov"), pgettext_lazy("chart month", "Dec"),
)


def format_date(day: date) -> str:
    """A date on a bill or e-mail in U.S. order: "Feb 14, 2025" in English,
    "02/14/2025" in Spanish and Russian (``customers.i18n.customer_date``)."""
    return customer_date(day)


def format_period(start: date, end: date) -> str:
    """"Feb 15 – Mar 14, 2026" (the start's year only when it differs), in U.S.
    order; the catalogs may keep both dates whole ("02/15/2026 – 03/14/2026")."""
    if start.year == end.year:
        first = date_format(start, pgettext("bill date format without the year", "M j"))
    else:
        first = format_date(start)
    return f"{first} – {format_date(end)}"


def format_amount(amount) -> str:
    """$1,234.56 in every language (kernel.money, independent of the locale)."""
    return format_money(amount)


def format_quantity(quantity) -> str:
    """Usage as printed: whole units from 10 up, else up to two decimals;
    thousands grouped the U.S. way in every language."""
    places = 0 if abs(quantity) >= 10 else 2
    text = f"{quantity:,.{places}f}"
    if places:
        text = text.rstrip("0").rstrip(".")
    return text


def month_label(day: date) -> str:
    return str(MONTH_ABBREVIATIONS[day.month - 1])


def chart_labels(points: list[tuple[date, date, Decimal, str]]) -> list[tuple[str, str]]:
    """(month, year) under each bar: the month the period ends in (as the bill
    is dated), with the year's last two digits under the first bar, under each
    January and under every month that appears twice in the 13 (the same
    month a year apart: "Dec '24 … Dec '25"), so no two bars read the same.
    Two periods ending in the same month of the same year (a final bill and
    the next one) are told apart by their end dates ("7/1", "7/31")."""
    ends = [end for _, end, _, _ in points]
    months = [month_label(end) for end in ends]
    repeated = {m for m in months if months.count(m) > 1}
    labels = []
    for i, (end, month) in enumerate(zip(ends, months, strict=True)):
        year = f"'{end:%y}" if i == 0 or end.month == 1 or month in repeated else ""
        labels.append((month, year))
    same_month = [(end.year, end.month) for end in ends]
    for i, end in enumerate(ends):
        if same_month.count(same_month[i]) > 1:
            labels[i] = (f"{end.month}/{end.day}", f"'{end:%y}")
    return labels


def usage_chart(points: list[tuple[date, date, Decimal, str]]) -> dict:
    """The 13-month chart: ``svg`` (bars only, newest dark), ``months`` and
    ``years`` (a 4-character cell per bar slot, oldest first, each one
    monospaced line the stylesheet sizes to the bars), ``labels`` (each bar's
    month and year as read) and ``caption`` (this period and the average)."""
    slots, slot_width, height = HISTORY_MONTHS, 10, 50
    top = max(float(q) for _, _, q, _ in points) or 1.0
    offset = slots - len(points)
    bars = []
    for i, (_start, _end, quantity, _unit) in enumerate(points):
        h = max(height * float(quantity) / top, 0.0)
        colour = "#1d4e89" if i == len(points) - 1 else "#9db4cf"
        bars.append(f'<rect x="{(offset + i) * slot_width + 1.8}" y="{height - h:.2f}" width="6.4" '
                    f'height="{h:.2f}" fill="{colour}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {slots * slot_width} {height}" '
           f'preserveAspectRatio="none">{"".join(bars)}</svg>')
    labels = chart_labels(points)
    months = ("    " * offset + "".join(m[:4].ljust(4) for m, _ in labels)).rstrip()
    years = ("    " * offset + "".join(y.ljust(4) for _, y in labels)).rstrip()
    last_end, last_quantity, unit = points[-1][1:]
    average = sum(q for _, _, q, _ in points) / len(points)
    caption = _("%(month)s: %(quantity)s %(unit)s · %(months)s-month average: %(average)s %(unit)s") % {
        "month": f"{month_label(last_end)} {last_end.year}", "quantity": format_quantity(last_quantity),
        "average": format_quantity(average), "unit": unit, "months": len(points)}
    return {"svg": mark_safe(svg), "months": months, "years": years,  # noqa: S308 - numbers built here
            "labels": [f"{m} {y}".strip() for m, y in labels], "caption": caption}


TIME_UNITS = ("days", "months", "bills")


def _time_unit(unit: str, count: int) -> str:
    if unit == "days":
        return ngettext("day", "days", count)
    if unit == "months":
        return ngettext("month", "months", count)
    return ngettext("bill", "bills", count)


def line_view(line, days: int) -> dict:
    """A bill line as printed, in the active language: the description
    translated, the quantity and its unit and the rate in their own columns.
    Percent riders show no quantity or rate (the description says the
    percent); rates keep at least cents. A charge per month or per bill for a
    part of one (a short first bill, a rate change) shows the days it covers
    and its rate per month, never "0.9355 months". ``days``: the segment's."""
    description = translate_description(line.description, format_date)
    quantity, unit, rate = "", "", ""
    if not (line.unit in ("$", "%") or line.kind in ("tax", "rider") and line.unit not in ("kWh", "CCF", "kgal")):
        rate = "$" + rate_text(line.rate)
        number = line.quantity.normalize()
        if line.unit in TIME_UNITS and number != number.to_integral_value():
            if m := DATES.search(line.description):
                start, end = (date.fromisoformat(d) for d in m.groups())
                days = (end - start).days + 1
            quantity, unit = f"{days:,}", _time_unit("days", days)
            per = pgettext("rate per", "/month") if line.unit == "months" else pgettext("rate per", "/bill")
            rate = f"{rate}{per}"
        elif line.unit in TIME_UNITS:
            quantity, unit = f"{int(number):,}", _time_unit(line.unit, int(number))
        else:
            quantity, unit = f"{number:,f}", line.unit
    return {"description": description, "quantity": quantity, "unit": unit, "rate": rate,
            "amount": format_amount(line.amount)}


def policy_for(policies: list[BillingPolicy], day: date) -> BillingPolicy | None:
    """The policy in effect on ``day``; ``policies`` newest first."""
    return next((p for p in policies if p.effective_from <= day), None)


def bill_contexts(bill_ids: list[int]) -> list[dict]:
    """What the bill template shows, for each bill in ``bill_ids`` (in that
    order), from five queries however many bills: bills with account and
    customer, segments with premise, lines, usage history, billing policies.
    Each bill's words are in its customer's language."""
    bills = {b.pk: b for b in Bill.objects.filter(pk__in=bill_ids).select_related("account__customer", "corrects")}
    segments: dict[int, list[BillSegment]] = defaultdict(list)
    for segment in (BillSegment.objects.filter(bill_id__in=bill_ids)
                    .select_related("agreement__service_point__premise").prefetch_related("lines")
                    .order_by("bill_id", "agreement__service_point__premise_id", "service", "pk")):
        segments[segment.bill_id].append(segment)
    ordered = [bills[pk] for pk in bill_ids if pk in bills]
    histories = usage_histories(ordered)
    policies = list(BillingPolicy.objects.order_by("-effective_from"))
    out = []
    for bill in ordered:
        with translation.override(customer_language(bill.language)):
            out.append(_context(bill, segments[bill.pk], histories[bill.pk], policy_for(policies, bill.bill_date)))
    return out


def _context(bill: Bill, segments: list[BillSegment], history: dict, policy: BillingPolicy | None) -> dict:
    language = customer_language(bill.language)
    messages = []
    if bill.corrects_id:
        messages.append(_("Corrected bill: replaces bill %(number)s of %(date)s.") % {
            "number": bill.corrects_id, "date": format_date(bill.corrects.bill_date)})
    premises = list(dict.fromkeys(s.agreement.service_point.premise for s in segments))
    several = len(premises) > 1
    services = []
    for s in segments:
        label = str(SERVICE_NAMES.get(s.service, s.service.title()))
        premise = s.agreement.service_point.premise
        if s.read_type == "estimated":
            messages.append(_("%(service)s usage was estimated; your next actual read will true it up.") % {
                "service": label})
        points = history.get((s.service, s.agreement.service_point_id), [])
        days = (s.read_date or s.period_end) - s.period_start
        chart = usage_chart(points) if points else None
        if chart is not None:
            chart["title"] = (_("Your usage over 13 months — %(service)s (%(unit)s) at %(address)s") % {
                "service": label, "unit": s.unit, "address": premise.address} if several else
                _("Your usage over 13 months — %(service)s (%(unit)s)") % {"service": label, "unit": s.unit})
        services.append({
            "label": label, "segment": s,
            # each premise named on its own services when the bill covers more than one
            "address": premise.address if several else "",
            "days": days.days + 1 if s.read_date else None,
            "period": format_period(s.period_start, s.read_date or s.period_end),
            "read_type": str(READ_TYPES.get(s.read_type, s.read_type)) if s.unit else _("not metered"),
            "usage": f"{format_quantity(s.quantity)} {s.unit}",
            # the quantity billed and where it came from (register reads or the meter's interval data)
            "quantity_source": str(QUANTITY_SOURCES.get(s.quantity_source, "")) if s.quantity_source else "",
            "lines": [line_view(line, days.days + 1) for line in s.lines.all()],
            "total": format_amount(s.total),
            "chart": chart,
            "unit": s.unit,
        })
    if policy is not None:
        message = {"es": policy.bill_message_es, "ru": policy.bill_message_ru}.get(language) or policy.bill_message
        if message:
            messages.append(message)
    account = bill.account
    return {
        "bill": bill, "language": language, "account": account, "customer": account.customer,
        "utility": settings.UTILITY_NAME, "services": services, "messages": messages,
        "bill_date": format_date(bill.bill_date), "due_date": format_date(bill.due_date),
        "period": format_period(bill.period_start, bill.period_end),
        "previous_balance": format_amount(bill.previous_balance),
        "current_charges": format_amount(bill.current_charges),
        "amount_due": format_amount(max(bill.amount_due, ZERO)),
        "is_credit": bill.amount_due < 0,
        "credit": format_amount(-bill.amount_due) if bill.amount_due < 0 else "",
        "scan_line": scan_line_for(bill),
        "service_addresses": [p.address for p in premises],
    }


def bill_context(bill: Bill) -> dict:
    return bill_contexts([bill.pk])[0]


# --------------------------------------------------------------------------- rendering


def refuse_fetch(url: str, *args, **kwargs):
    """WeasyPrint's url_fetcher for bills: a bill loads nothing (no fonts,
    images or stylesheets from a URL), so a stray reference fails loudly
    instead of waiting on the network."""
    raise ValueError(f"bill documents load no external resources (asked for {url[:80]})")


def _bill_fetcher():
    from weasyprint.urls import URLFetcher

    class BillFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            return refuse_fetch(url)

    return BillFetcher()


_warm = threading.local()


def _renderer():
    """(HTML class, parsed stylesheet, font configuration, URL fetcher), built once per thread."""
    if not hasattr(_warm, "renderer"):
        from weasyprint import CSS, HTML  # imported here: only document work needs pango
        from weasyprint.text.fonts import FontConfiguration

        fonts, fetcher = FontConfiguration(), _bill_fetcher()
        css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts, url_fetcher=fetcher)
        user_agent = CSS(string=BILL_USER_AGENT_CSS, font_config=fonts, url_fetcher=fetcher)

        class BillHTML(HTML):
            def _ua_stylesheets(self, forms=False):
                return [user_agent]

        _warm.renderer = (BillHTML, css, fonts, fetcher)
    return _warm.renderer


def html_from_context(context: dict) -> str:
    with translation.override(context["language"]):
        return render_to_string("billing/bill_document.html", context)


def render_html(bill: Bill) -> str:
    return html_from_context(bill_context(bill))


def pdf_from_html(html: str) -> bytes:
    html_class, stylesheet, fonts, fetcher = _renderer()
    # WeasyPrint makes ~100k objects with reference cycles per bill: with the
    # collector on, it runs full collections of the whole process heap in the
    # middle of renders (p95 twice p50)
    with gc_paused():
        return html_class(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet], font_config=fonts)


def render_pdf(bill: Bill) -> bytes:
    return pdf_from_html(render_html(bill))


def _pdf_path(bill_id: int, period_end: date, created_at) -> Path:
    # the creation time in the name: a rebuilt database reuses ids, never this pair
    return (Path(settings.MEDIA_ROOT) / "bills" / f"{period_end:%Y-%m}"
            / f"bill-{bill_id}-{created_at:%Y%m%d%H%M%S%f}.pdf")


def pdf_path(bill: Bill) -> Path:
    return _pdf_path(bill.pk, bill.period_end, bill.created_at)


def _keep(path: Path, pdf: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
    tmp.write_bytes(pdf)
    tmp.replace(path)


def pdf_for(bill: Bill) -> bytes:
    """The bill's PDF: the one rendered earlier (bills never change; a
    correction is a new bill), else rendered now and kept."""
    path = pdf_path(bill)
    if path.exists():
        return path.read_bytes()
    pdf = render_pdf(bill)
    if bill.status != Bill.Status.HELD:  # a held bill may still be re-billed; don't keep its draft
        _keep(path, pdf)
    return pdf


BILL_PDF_SOURCE = "bill_pdf"


def bill_pdf_attachment(bill_id) -> bytes:
    """The kept PDF of a bill, for an e-mail the outbox is sending (registered by BillingConfig.ready)."""
    return pdf_for(Bill.objects.select_related("account__customer").get(pk=bill_id))


def render_run(run: BillRun, *, batch: int = RENDER_BATCH) -> int:
    """Render the run's issued bills that have no PDF yet, in one warm process,
    loading their data ``batch`` bills at a time; e-mail the paperless ones not
    yet sent. Idempotent: returns the PDFs rendered here."""
    rows = list(Bill.objects.filter(run=run, status=Bill.Status.ISSUED).order_by("pk")
                .values_list("pk", "period_end", "created_at", "account__paperless", "account__customer_id"))
    to_render = [pk for pk, end, created, _, _ in rows if not _pdf_path(pk, end, created).exists()]
    sent = set(BillDelivery.objects.filter(bill__run=run, channel="email").values_list("bill_id", flat=True))
    to_mail = [pk for pk, _, _, paperless, _ in rows if paperless and pk not in sent]
    addresses = ebill_addresses({customer for pk, _, _, paperless, customer in rows if paperless and pk not in sent})
    mail = set(to_mail)
    done = 0
    for start in range(0, len(to_render), batch):
        for context in bill_contexts(to_render[start:start + batch]):
            bill = context["bill"]
            pdf = pdf_from_html(html_from_context(context))
            _keep(pdf_path(bill), pdf)
            done += 1
            if bill.pk in mail:
                mail.discard(bill.pk)
                send_ebill(bill, pdf=pdf, to=addresses.get(bill.account.customer_id, ""), checked=True)
    if mail:  # rendered by an earlier attempt that stopped before mailing
        for bill in Bill.objects.filter(pk__in=mail).select_related("account__customer").order_by("pk"):
            send_ebill(bill, to=addresses.get(bill.account.customer_id, ""), checked=True)
    return done


def ebill_addresses(customer_ids) -> dict[int, str]:
    """customer id -> primary e-mail (else the first one on file), one query."""
    out: dict[int, str] = {}
    for customer_id, email in (Contact.objects.filter(customer_id__in=customer_ids).exclude(email="")
                               .order_by("customer_id", "-is_primary", "pk").values_list("customer_id", "email")):
        out.setdefault(customer_id, email)
    return out


def ebill_address(bill: Bill) -> str:
    return ebill_addresses([bill.account.customer_id]).get(bill.account.customer_id, "")


def send_ebill(bill: Bill, *, pdf: bytes | None = None, to: str | None = None,
               checked: bool = False) -> BillDelivery | None:
    """E-mail the bill with its PDF to the customer's primary e-mail, once.
    ``checked``: the caller (render_run) already knows no e-mail went out;
    the unique delivery row still refuses a second one."""
    if bill.status != Bill.Status.ISSUED:
        return None
    if not checked:
        existing = BillDelivery.objects.filter(bill=bill, channel="email").first()
        if existing:
            return existing
    to = ebill_address(bill) if to is None else to
    if not to:
        return None
    with translation.override(customer_language(bill.language)):
        values = {"utility": settings.UTILITY_NAME, "amount": format_amount(max(bill.amount_due, ZERO)),
                  "due": format_date(bill.due_date), "name": bill.account.customer.name,
                  "account": bill.account.number, "period": f"{month_label(bill.period_end)} {bill.period_end.year}"}
        subject = _("Your %(utility)s bill for %(period)s — %(amount)s due %(due)s") % values
        body = _("Hello %(name)s,\n\nYour bill for account %(account)s is attached.\nAmount due: %(amount)s, "
                 "due %(due)s.\n\nThank you,\n%(utility)s") % values
    try:
        with transaction.atomic():
            delivery = BillDelivery.objects.create(bill=bill, channel="email", to=to, subject=subject[:200], body=body)
            if pdf is None:
                pdf_for(bill)  # rendered and kept now, so the worker sending the message only reads it
            # sent by a worker after this commits (ratepayer.outbox), the PDF read back by its source
            outbox.queue_message(to=to, subject=subject, body=body, kind="ebill", obj=bill, account_id=bill.account_id,
                                 attachments=[outbox.attachment(f"bill-{bill.account.number}-{bill.period_end:%Y-%m}.pdf",
                                                                "application/pdf", BILL_PDF_SOURCE, bill.pk)])
    except IntegrityError:
        return BillDelivery.objects.filter(bill=bill, channel="email").first()
    except OutboxError as exc:  # an address on file that is no address: the paper bill still goes out
        logger.warning("e-bill %s not sent: %s", bill.pk, exc)
        return None
    return delivery


# --------------------------------------------------------------------------- print-vendor file

PRINT_LAYOUT = (
    # name, width, kind ("x" text left-aligned, "9" numeric right-aligned zero-filled)
    ("record_type", 2, "x"),
    ("bill_id", 10, "9"),
    ("account", 12, "x"),
    ("language", 2, "x"),
    ("name", 40, "x"),
    ("address_1", 40, "x"),
    ("address_2", 40, "x"),
    ("city", 25, "x"),
    ("state", 2, "x"),
    ("zip", 10, "x"),
    ("bill_date", 8, "9"),
    ("due_date", 8, "9"),
    ("previous_balance_cents", 11, "s"),
    ("current_charges_cents", 11, "s"),
    ("amount_due_cents", 11, "s"),
    ("services", 3, "9"),
    ("corrected", 1, "x"),
    ("scan_line", 29, "x"),
)
PRINT_RECORD_LENGTH = sum(w for _, w, _ in PRINT_LAYOUT)


def _field(value, width: int, kind: str) -> str:
    if kind == "9":
        text = str(value)
        if not text.isdigit() or len(text) > width:
            raise ValueError(f"{value!r} does not fit {width} digits")
        return text.zfill(width)
    if kind == "s":  # signed cents: sign then digits
        cents = int((Decimal(value) * 100).to_integral_value())
        return ("-" if cents < 0 else "+") + str(abs(cents)).zfill(width - 1)
    text = str(value).replace("\n", " ").replace("\r", " ")
    return text[:width].ljust(width)


def print_record(bill: Bill, services: int) -> str:
    a = bill.account
    values = {
        "record_type": "BL", "bill_id": bill.pk, "account": a.number, "language": bill.language,
        "name": a.customer.name, "address_1": a.mailing_line1, "address_2": a.mailing_line2,
        "city": a.mailing_city, "state": a.mailing_state, "zip": a.mailing_zip,
        "bill_date": f"{bill.bill_date:%Y%m%d}", "due_date": f"{bill.due_date:%Y%m%d}",
        "previous_balance_cents": bill.previous_balance, "current_charges_cents": bill.current_charges,
        "amount_due_cents": bill.amount_due, "services": services, "corrected": "C" if bill.corrects_id else " ",
        "scan_line": scan_line_for(bill),
    }
    record = "".join(_field(values[name], width, kind) for name, width, kind in PRINT_LAYOUT)
    assert len(record) == PRINT_RECORD_LENGTH
    return record


def print_file(run: BillRun) -> str:
    """One fixed-width record per issued paper bill of the run (docs/formats-print-file.md),
    then a trailer with the record count and the total amount due."""
    from django.db.models import Count

    bills = (Bill.objects.filter(run=run, status=Bill.Status.ISSUED, account__paperless=False)
             .select_related("account__customer").annotate(services=Count("segments")).order_by("account__mailing_zip",
                                                                                                  "account__number"))
    lines, total = [], ZERO
    for bill in bills:
        lines.append(print_record(bill, bill.services))
        total += bill.amount_due
    trailer = ("TR" + str(len(lines)).zfill(10) + _field(total, 15, "s")).ljust(PRINT_RECORD_LENGTH)
    lines.append(trailer)
    return "\r\n".join(lines) + "\r\n"
