"""Bill documents: the PDF a customer reads, the print-vendor file, e-bills.

The PDF is HTML (``templates/billing/bill_document.html``) and one stylesheet
(``bill_document.css``) rendered by WeasyPrint, in the customer's language
(``bill_text``). Documents are never rendered inside a bill run: on demand
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
from django.utils.safestring import mark_safe

from ratepayer.customers.models import Contact
from ratepayer.db.bulk import gc_paused
from ratepayer.formats import scanline
from ratepayer.outbox import actions as outbox
from ratepayer.outbox.errors import OutboxError

from .bill_text import MONTHS, format_amount, format_date, format_quantity, text_for
from .models import Bill, BillDelivery, BillingPolicy, BillRun, BillSegment

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
LANGUAGES = ("en", "es", "ru")
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
svg { overflow: hidden }
"""
HISTORY_MONTHS = 13
RENDER_BATCH = 200  # bills whose data is loaded at once by render_run


def scan_line_for(bill: Bill) -> str:
    """The stub's scan line: account, amount due (0 for a credit), due date, check digit."""
    return scanline.build(bill.account.number, max(bill.amount_due, ZERO), bill.due_date)


# --------------------------------------------------------------------------- the bill's data


def usage_histories(bills: list[Bill]) -> dict[int, dict[str, list[tuple[date, Decimal, str]]]]:
    """bill id -> service -> [(period end, quantity, unit)] for the 13 bills up to
    that bill, oldest first; one query for any number of bills."""
    if not bills:
        return {}
    since = min(b.period_end for b in bills) - timedelta(days=400)
    rows = (BillSegment.objects.filter(bill__account_id__in={b.account_id for b in bills}, cancelled=False,
                                       period_end__gt=since, period_end__lte=max(b.period_end for b in bills))
            .exclude(unit="").order_by("period_end", "pk")
            .values_list("bill__account_id", "service", "period_end", "quantity", "unit"))
    by_account: dict[int, list] = defaultdict(list)
    for row in rows:
        by_account[row[0]].append(row[1:])
    out = {}
    for bill in bills:
        earliest = bill.period_end - timedelta(days=400)
        per_service: dict[str, list] = defaultdict(list)
        for service, end, quantity, unit in by_account.get(bill.account_id, ()):
            if earliest < end <= bill.period_end:
                per_service[service].append((end, quantity, unit))
        out[bill.pk] = {s: v[-HISTORY_MONTHS:] for s, v in per_service.items()}
    return out


def usage_history(bill: Bill) -> dict[str, list[tuple[date, Decimal, str]]]:
    return usage_histories([bill])[bill.pk]


def usage_chart(points: list[tuple[date, Decimal, str]], language: str, t: dict) -> dict:
    """The 13-month chart: ``svg`` (bars only, newest dark), ``months`` (a
    4-character cell per bar slot, oldest first, one monospaced line the
    stylesheet sizes to the bars) and ``caption`` (this period and the average)."""
    slots, slot_width, height = HISTORY_MONTHS, 10, 50
    top = max(float(q) for _, q, _ in points) or 1.0
    offset = slots - len(points)
    bars = []
    for i, (_, quantity, _) in enumerate(points):
        h = max(height * float(quantity) / top, 0.0)
        colour = "#1d4e89" if i == len(points) - 1 else "#9db4cf"
        bars.append(f'<rect x="{(offset + i) * slot_width + 1.8}" y="{height - h:.2f}" width="6.4" '
                    f'height="{h:.2f}" fill="{colour}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {slots * slot_width} {height}" '
           f'preserveAspectRatio="none">{"".join(bars)}</svg>')
    names = MONTHS.get(language, MONTHS["en"])
    months = "    " * offset + "".join(names[end.month - 1][:3].ljust(4) for end, _, _ in points).rstrip()
    last_end, last_quantity, unit = points[-1]
    average = sum(q for _, q, _ in points) / len(points)
    caption = t["usage_caption"].format(
        month=f"{names[last_end.month - 1]} {last_end.year}", quantity=format_quantity(last_quantity, language),
        average=format_quantity(average, language), unit=unit, months=len(points))
    return {"svg": mark_safe(svg), "months": months, "caption": caption}  # noqa: S308 - numbers built here


def line_view(line, language: str) -> dict:
    """A bill line as printed: percent riders show no quantity or rate (the
    description says the percent); rates keep at least cents."""
    if line.unit in ("$", "%") or line.kind in ("tax", "rider") and line.unit not in ("kWh", "CCF", "kgal"):
        quantity, rate = "", ""
    else:
        quantity = f"{line.quantity.normalize():,f} {line.unit}".replace(".0000", "")
        rate_text = f"{line.rate.normalize():f}"
        if "." not in rate_text or len(rate_text.split(".")[1]) < 2:
            rate_text = f"{line.rate:.2f}"
        rate = "$" + rate_text
    return {"description": line.description, "quantity": quantity, "rate": rate,
            "amount": format_amount(line.amount, language)}


def policy_for(policies: list[BillingPolicy], day: date) -> BillingPolicy | None:
    """The policy in effect on ``day``; ``policies`` newest first."""
    return next((p for p in policies if p.effective_from <= day), None)


def bill_contexts(bill_ids: list[int]) -> list[dict]:
    """What the bill template shows, for each bill in ``bill_ids`` (in that
    order), from five queries however many bills: bills with account and
    customer, segments with premise, lines, usage history, billing policies."""
    bills = {b.pk: b for b in Bill.objects.filter(pk__in=bill_ids).select_related("account__customer", "corrects")}
    segments: dict[int, list[BillSegment]] = defaultdict(list)
    for segment in (BillSegment.objects.filter(bill_id__in=bill_ids)
                    .select_related("agreement__service_point__premise").prefetch_related("lines")
                    .order_by("bill_id", "service", "pk")):
        segments[segment.bill_id].append(segment)
    ordered = [bills[pk] for pk in bill_ids if pk in bills]
    histories = usage_histories(ordered)
    policies = list(BillingPolicy.objects.order_by("-effective_from"))
    return [_context(bill, segments[bill.pk], histories[bill.pk], policy_for(policies, bill.bill_date))
            for bill in ordered]


def _context(bill: Bill, segments: list[BillSegment], history: dict, policy: BillingPolicy | None) -> dict:
    language = bill.language if bill.language in LANGUAGES else "en"
    t = text_for(language)
    messages = []
    if bill.corrects_id:
        messages.append(t["corrected_bill"].format(number=bill.corrects_id,
                                                   date=format_date(bill.corrects.bill_date, language)))
    services = []
    for s in segments:
        label = t.get(s.service, s.service.title())
        if s.read_type == "estimated":
            messages.append(t["estimated_note"].format(service=label.lower()))
        points = history.get(s.service, [])
        services.append({
            "label": label, "segment": s,
            "days": (s.read_date - s.period_start).days + 1 if s.read_date else None,
            "period": f"{format_date(s.period_start, language)} – {format_date(s.read_date or s.period_end, language)}",
            "read_type": t.get(s.read_type, s.read_type) if s.unit else t["flat"],
            "usage": f"{format_quantity(s.quantity, language)} {s.unit}",
            # the quantity billed and where it came from (register reads or the meter's interval data)
            "quantity_source": t.get(f"source_{s.quantity_source}", "") if s.quantity_source else "",
            "lines": [line_view(line, language) for line in s.lines.all()],
            "total": format_amount(s.total, language),
            "chart": usage_chart(points, language, t) if points else None,
            "unit": s.unit,
        })
    if policy is not None:
        message = {"es": policy.bill_message_es, "ru": policy.bill_message_ru}.get(language) or policy.bill_message
        if message:
            messages.append(message)
    account = bill.account
    return {
        "bill": bill, "t": t, "language": language, "account": account, "customer": account.customer,
        "utility": settings.UTILITY_NAME, "services": services, "messages": messages,
        "bill_date": format_date(bill.bill_date, language), "due_date": format_date(bill.due_date, language),
        "period": f"{format_date(bill.period_start, language)} – {format_date(bill.period_end, language)}",
        "previous_balance": format_amount(bill.previous_balance, language),
        "current_charges": format_amount(bill.current_charges, language),
        "amount_due": format_amount(max(bill.amount_due, ZERO), language),
        "is_credit": bill.amount_due < 0,
        "credit": format_amount(-bill.amount_due, language) if bill.amount_due < 0 else "",
        "scan_line": scan_line_for(bill),
        "service_address": segments[0].agreement.service_point.premise.address if segments else "",
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
    language = bill.language if bill.language in LANGUAGES else "en"
    t = text_for(language)
    values = {"utility": settings.UTILITY_NAME, "amount": format_amount(max(bill.amount_due, ZERO), language),
              "due": format_date(bill.due_date, language), "name": bill.account.customer.name,
              "account": bill.account.number,
              "period": f"{MONTHS[language][bill.period_end.month - 1]} {bill.period_end.year}"}
    subject, body = t["email_subject"].format(**values), t["email_body"].format(**values)
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
