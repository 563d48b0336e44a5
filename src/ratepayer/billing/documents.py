"""Bill documents: the PDF a customer reads, the print-vendor file, e-bills.

The PDF is HTML + CSS (``templates/billing/bill_document.html``) rendered by
WeasyPrint, in the customer's language (``bill_text``). The usage chart is
an inline SVG drawn here, so the document has no external resources. The
remittance stub carries the OCR scan line from ``formats.scanline`` (layout
in docs/scan-line.md). Documents are never rendered inside a bill run:
on demand (console) or by the ``render_bill_documents`` task.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ratepayer.formats import scanline

from .bill_text import MONTHS, format_amount, format_date, text_for
from .models import Bill, BillDelivery, BillingPolicy, BillRun, BillSegment

ZERO = Decimal("0.00")


def scan_line_for(bill: Bill) -> str:
    """The stub's scan line: account, amount due (0 for a credit), due date, check digit."""
    return scanline.build(bill.account.number, max(bill.amount_due, ZERO), bill.due_date)


def usage_history(bill: Bill) -> dict[str, list[tuple[date, Decimal, str]]]:
    """service -> [(period end, quantity, unit)] for the 13 bills up to this one (1 query)."""
    since = bill.period_end - timedelta(days=400)
    rows = (BillSegment.objects.filter(bill__account_id=bill.account_id, cancelled=False, period_end__gt=since,
                                       period_end__lte=bill.period_end).exclude(unit="")
            .order_by("period_end").values_list("service", "period_end", "quantity", "unit"))
    out: dict[str, list] = defaultdict(list)
    for service, end, quantity, unit in rows:
        out[service].append((end, quantity, unit))
    return {s: v[-13:] for s, v in out.items()}


def usage_chart_svg(points: list[tuple[date, Decimal, str]], language: str, *, width: int = 300,
                    height: int = 110) -> str:
    """A bar chart, newest bar dark, month labels under the bars."""
    if not points:
        return ""
    top = max((float(q) for _, q, _ in points), default=0) or 1.0
    n = 13
    slot = width / n
    bar = slot * 0.62
    base = height - 18
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" '
             f'viewBox="0 0 {width} {height}">',
             f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#888" stroke-width="0.6"/>']
    offset = n - len(points)
    for i, (end, quantity, _) in enumerate(points):
        h = (base - 12) * float(quantity) / top
        x = (offset + i) * slot + (slot - bar) / 2
        colour = "#1d4e89" if i == len(points) - 1 else "#9db4cf"
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 6}" font-size="7" text-anchor="middle" '
                     f'fill="#333">{escape(MONTHS.get(language, MONTHS["en"])[end.month - 1])}</text>')
        if i == len(points) - 1 or float(quantity) == top:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{base - h - 2:.1f}" font-size="7" text-anchor="middle" '
                         f'fill="#111">{quantity.normalize():f}</text>')
    parts.append("</svg>")
    return "".join(parts)


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


def bill_context(bill: Bill) -> dict:
    """Everything the bill template shows (a handful of queries)."""
    bill = (Bill.objects.select_related("account__customer", "corrects").get(pk=bill.pk))
    language = bill.language if bill.language in ("en", "es", "ru") else "en"
    t = text_for(language)
    segments = list(bill.segments.select_related("agreement__service_point__premise").prefetch_related("lines")
                    .order_by("service", "pk"))
    history = usage_history(bill)
    policy = BillingPolicy.objects.filter(effective_from__lte=bill.bill_date).order_by("-effective_from").first()
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
            "address": s.agreement.service_point.premise.address,
            "days": (s.read_date - s.period_start).days + 1 if s.read_date else None,
            "period": f"{format_date(s.period_start, language)} – {format_date(s.read_date or s.period_end, language)}",
            "read_type": t.get(s.read_type, s.read_type) if s.unit else t["flat"],
            "lines": [line_view(line, language) for line in s.lines.all()],
            "total": format_amount(s.total, language),
            "chart": mark_safe(usage_chart_svg(points, language)) if points else "",  # noqa: S308 - built here
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


def render_html(bill: Bill) -> str:
    return render_to_string("billing/bill_document.html", bill_context(bill))


def render_pdf(bill: Bill) -> bytes:
    from weasyprint import HTML  # imported here: only document work needs pango

    return HTML(string=render_html(bill), base_url=str(Path(__file__).parent)).write_pdf()


def pdf_path(bill: Bill) -> Path:
    # the creation time in the name: a rebuilt database reuses ids, never this pair
    return (Path(settings.MEDIA_ROOT) / "bills" / f"{bill.period_end:%Y-%m}"
            / f"bill-{bill.pk}-{bill.created_at:%Y%m%d%H%M%S%f}.pdf")


def pdf_for(bill: Bill) -> bytes:
    """The bill's PDF: the one rendered earlier (bills never change; a
    correction is a new bill), else rendered now and kept."""
    path = pdf_path(bill)
    if path.exists():
        return path.read_bytes()
    pdf = render_pdf(bill)
    if bill.status != Bill.Status.HELD:  # a held bill may still be re-billed; don't keep its draft
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.part")
        tmp.write_bytes(pdf)
        tmp.replace(path)
    return pdf


def render_run(run: BillRun) -> int:
    """Render the run's issued bills that have no PDF yet; e-mail paperless ones. Idempotent."""
    done = 0
    for bill in Bill.objects.filter(run=run, status=Bill.Status.ISSUED).select_related("account").iterator():
        path = pdf_path(bill)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(render_pdf(bill))
            tmp.replace(path)
            done += 1
        if bill.account.paperless:
            send_ebill(bill)
    return done


def ebill_address(bill: Bill) -> str:
    contact = bill.account.customer.contacts.exclude(email="").order_by("-is_primary", "pk").first()
    return contact.email if contact else ""


def send_ebill(bill: Bill) -> BillDelivery | None:
    """E-mail the bill with its PDF to the customer's primary e-mail, once."""
    existing = BillDelivery.objects.filter(bill=bill, channel="email").first()
    if existing or bill.status != Bill.Status.ISSUED:
        return existing
    to = ebill_address(bill)
    if not to:
        return None
    language = bill.language if bill.language in ("en", "es", "ru") else "en"
    t = text_for(language)
    values = {"utility": settings.UTILITY_NAME, "amount": format_amount(max(bill.amount_due, ZERO), language),
              "due": format_date(bill.due_date, language), "name": bill.account.customer.name,
              "account": bill.account.number,
              "period": f"{MONTHS[language][bill.period_end.month - 1]} {bill.period_end.year}"}
    subject, body = t["email_subject"].format(**values), t["email_body"].format(**values)
    try:
        with transaction.atomic():
            delivery = BillDelivery.objects.create(bill=bill, channel="email", to=to, subject=subject[:200], body=body)
            message = EmailMessage(subject=subject, body=body, to=[to])
            message.attach(f"bill-{bill.account.number}-{bill.period_end:%Y-%m}.pdf", render_pdf(bill),
                           "application/pdf")
            message.send()
    except IntegrityError:
        return BillDelivery.objects.filter(bill=bill, channel="email").first()
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
