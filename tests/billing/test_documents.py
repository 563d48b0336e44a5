"""Bill PDF (read back with poppler's pdftotext), scan line, print-vendor file and e-bills."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from ratepayer.billing import documents
from ratepayer.billing.models import Bill, BillDelivery, BillRun, BillSegment
from ratepayer.customers.models import Contact
from ratepayer.formats import scanline
from ratepayer.formats.errors import FormatError
from ratepayer.outbox import actions as outbox
from tests.billing.conftest import build_town
from tests.billing.test_billrun import run_cycle


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "bill.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_bill_pdf_is_one_page_with_charges_usage_chart_and_stub(town, tmp_path):
    for month in (2, 3, 4):
        run_cycle(town.cycle, date(2025, month, 14))
    bill = Bill.objects.filter(account=town.accounts[0]).order_by("-period_end").first()
    pdf = documents.render_pdf(bill)
    assert pdf.startswith(b"%PDF") and pdf_pages(pdf, tmp_path) == 1
    text = pdf_text(pdf, tmp_path)
    for expected in ("Amount due", "Account summary".upper(), "Electric", "Water", "Sewer",
                     "Energy charge, first 1,000 kWh", "Total — Electric", "YOUR USAGE OVER 13 MONTHS",
                     "Please return this portion", f"{bill.due_date:%b} {bill.due_date.day}, {bill.due_date.year}", documents.scan_line_for(bill),
                     town.accounts[0].number, "Customer 05-0"):
        assert expected in text, expected
    # the charts, checked against the account's billed segments read here from the database:
    # electric and water have a chart each (sewer is flat), one bar per billed month, oldest first
    history = {service: list(BillSegment.objects.filter(bill__account=bill.account, service=service, cancelled=False)
                             .order_by("period_end").values_list("period_end", "quantity"))
               for service in ("electric", "water")}
    charts = chart_bars(documents.render_html(bill))
    assert [label for label, _ in charts] == ["Electric", "Water"]
    for (_, bars), service in zip(charts, ("electric", "water"), strict=True):
        usage = [quantity for _, quantity in history[service]]
        assert len(bars) == len(usage) == 3
        assert [x for x, _ in bars] == sorted(x for x, _ in bars)  # oldest left, this bill's month right
        tallest = max(height for _, height in bars)
        for (_, height), quantity in zip(bars, usage, strict=True):  # heights in proportion to the usage
            assert height / tallest == pytest.approx(float(quantity / max(usage)), abs=0.001)
        assert max(range(3), key=lambda i: bars[i][1]) == max(range(3), key=lambda i: usage[i])
    # what a reader sees: month labels under the bars, this month's usage and the average, the money
    words = " ".join(text.split())
    months = " ".join(f"{end:%b}" for end, _ in history["electric"])
    assert months == "Feb Mar Apr" and text.count(months) == 2
    assert text.count("'25") == 2  # the year under each chart's first bar
    for service, unit in (("electric", "kWh"), ("water", "CCF")):
        usage = [quantity for _, quantity in history[service]]
        average = sum(usage) / len(usage)
        assert (f"Apr 2025: {usage[-1]:,.0f} {unit} · 3-month average: {average:,.0f} {unit}") in words, service
    for segment in bill.segments.all():
        assert f"{segment.total:,.2f}" in words, segment.service
    assert f"{bill.amount_due:,.2f}" in words


def chart_bars(html: str) -> list[tuple[str, list[tuple[float, float]]]]:
    """Each chart's service label and its bars as (x, height), read from the bill's HTML."""
    found = []
    for label, svg in re.findall(r'<div class="label">[^<]*— (\w+) \([^)]*\)</div>\s*(<svg.*?</svg>)', html, re.S):
        bars = [(float(x), float(h)) for x, h in re.findall(r'<rect x="([\d.]+)"[^>]* height="([\d.]+)"', svg)]
        found.append((label, bars))
    return found


def test_usage_chart_bars_follow_the_usage_and_months_are_labelled_in_the_language():
    usage = [Decimal("800"), Decimal("1200"), Decimal("300")]
    points = [(date(2025, month - 1, 15) if month > 1 else date(2024, 12, 15), date(2025, month, 14), quantity, "kWh")
              for month, quantity in zip((1, 2, 3), usage, strict=True)]
    with translation.override("es"):
        chart = documents.usage_chart(points)
    assert chart["months"].split() == ["ene", "feb", "mar"]
    assert chart["months"].startswith(" " * 4 * (13 - 3))  # the newest month in the last of 13 slots
    bars = [(float(x), float(h)) for x, h in re.findall(r'<rect x="([\d.]+)"[^>]* height="([\d.]+)"', chart["svg"])]
    assert [x for x, _ in bars] == sorted(x for x, _ in bars)
    assert [h / max(h for _, h in bars) for _, h in bars] == pytest.approx([800 / 1200, 1.0, 300 / 1200], abs=0.001)
    assert max(range(3), key=lambda i: bars[i][1]) == usage.index(max(usage))
    assert chart["caption"] == "mar 2025: 300 kWh · promedio de 3 meses: 767 kWh"
    assert "<text" not in chart["svg"]


def test_scan_line_on_the_stub_carries_account_amount_due_and_check_digit(town, tmp_path):
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = Bill.objects.filter(account=town.accounts[0]).get()
    printed = re.findall(r"\b\d{29}\b", pdf_text(documents.render_pdf(bill), tmp_path))
    assert printed == [documents.scan_line_for(bill)]
    parsed = scanline.parse(printed[0])
    assert parsed["account"] == town.accounts[0].number.zfill(10)
    assert parsed["amount_due"] == bill.amount_due and parsed["due_date"] == bill.due_date
    wrong_check_digit = printed[0][:-1] + str((int(printed[0][-1]) + 1) % 10)
    with pytest.raises(FormatError, match="check digit"):
        scanline.parse(wrong_check_digit)


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Amount due", "Electric", "Due date", "Feb 14, 2025", "Total amount due"]),
    ("es", ["Importe a pagar", "Electricidad", "Fecha de vencimiento", "02/14/2025", "Devuelva esta parte"]),
    ("ru", ["К оплате", "Электроэнергия", "Оплатить до", "02/14/2025", "Верните эту часть"]),
])
def test_bills_speak_the_customers_language(db, users, fake_usage, tmp_path, language, words):
    town = build_town(users["specialist"], accounts=1, cycle_code="20", language=language)
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = Bill.objects.get(account=town.accounts[0])
    text = pdf_text(documents.render_pdf(bill), tmp_path)
    for word in words:
        assert word in text, word
    assert f'lang="{language}"' in documents.render_html(bill)


def test_a_bills_data_is_a_fixed_handful_of_queries_for_one_bill_or_many(town, django_assert_max_num_queries):
    for month in (2, 3):
        run_cycle(town.cycle, date(2025, month, 14))
    bills = list(Bill.objects.order_by("pk"))
    assert len(bills) == 6
    with django_assert_max_num_queries(5):
        documents.render_pdf(bills[-1])
    with django_assert_max_num_queries(5):
        contexts = documents.bill_contexts([b.pk for b in bills])
    assert [c["bill"].pk for c in contexts] == [b.pk for b in bills]
    march = contexts[-1]
    assert [s["label"] for s in march["services"]] == ["Electric", "Sewer", "Water"]
    assert march["services"][0]["chart"]["months"].endswith("Feb Mar")  # history up to that bill only
    assert contexts[0]["services"][0]["chart"]["months"].endswith("Feb")


def test_the_run_task_renders_every_bill_with_queries_independent_of_the_bill_count(
        db, users, fake_usage, settings, tmp_path, django_assert_max_num_queries):
    settings.MEDIA_ROOT = tmp_path
    town = build_town(users["specialist"], accounts=5, cycle_code="31")
    run = run_cycle(town.cycle, date(2025, 2, 14))
    with django_assert_max_num_queries(8):  # 3 to list the run, 5 per batch of bills
        assert documents.render_run(run, batch=10) == 5
    assert len(list(tmp_path.rglob("bill-*.pdf"))) == 5
    bill = Bill.objects.filter(run=run).order_by("pk").first()
    assert documents.pdf_path(bill).read_bytes() == documents.pdf_for(bill)


def test_bill_documents_fetch_nothing(monkeypatch):
    asked, original = [], documents.refuse_fetch

    def refuse(url, *args, **kwargs):
        asked.append(url)
        return original(url)

    monkeypatch.setattr(documents, "refuse_fetch", refuse)
    pdf = documents.pdf_from_html('<p>Bill</p><img src="http://192.0.2.1/logo.png">')
    assert pdf.startswith(b"%PDF") and asked == ["http://192.0.2.1/logo.png"]
    with pytest.raises(ValueError, match="no external resources"):
        documents.refuse_fetch("https://fonts.example.org/font.woff2")


def test_print_file_has_one_fixed_width_record_per_paper_bill_and_a_trailer(town):
    town.accounts[2].paperless = True
    town.accounts[2].save()
    run_cycle(town.cycle, date(2025, 2, 14))
    run = BillRun.objects.get()
    records = documents.print_file(run).split("\r\n")[:-1]
    assert len(records) == 3 and all(len(r) == documents.PRINT_RECORD_LENGTH for r in records)
    body, trailer = records[:2], records[2]
    assert {r[12:24].strip() for r in body} == {town.accounts[0].number, town.accounts[1].number}
    total = sum(b.amount_due for b in Bill.objects.exclude(account=town.accounts[2]))
    assert trailer.startswith("TR0000000002") and int(trailer[12:27]) == int(total * 100)


def test_ebill_is_sent_once_with_the_pdf(town, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path
    account = town.accounts[0]
    account.paperless = True
    account.save()
    Contact.objects.create(customer=account.customer, email="old@example.org", is_primary=False)
    Contact.objects.create(customer=account.customer, email="pat@example.org", is_primary=True)
    run_cycle(town.cycle, date(2025, 2, 14))
    run = BillRun.objects.get()
    assert documents.render_run(run) == 3
    assert documents.render_run(run) == 0  # already rendered
    assert len(list(tmp_path.rglob("bill-*.pdf"))) == 3
    assert mail.outbox == []  # written to the outbox; a worker sends it after commit
    assert outbox.deliver_due() == {"sent": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.org"] and "due" in message.subject
    bill = Bill.objects.get(account=account)
    assert message.attachments[0][2] == "application/pdf"
    assert message.attachments[0][1] == documents.pdf_path(bill).read_bytes()
    assert BillDelivery.objects.get().to == "pat@example.org"
    assert Decimal(0) < bill.amount_due


def test_ebill_left_unsent_by_an_interrupted_task_goes_out_on_retry_with_the_kept_pdf(town, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path
    account = town.accounts[1]
    account.paperless = True
    account.save()
    Contact.objects.create(customer=account.customer, email="lee@example.org", is_primary=True)
    run = run_cycle(town.cycle, date(2025, 2, 14))
    bill = Bill.objects.get(account=account)
    kept = documents.pdf_for(bill)  # rendered and kept, then the task stopped before mailing
    assert documents.render_run(run) == 2
    assert outbox.deliver_due() == {"sent": 1}
    assert [m.to for m in mail.outbox] == [["lee@example.org"]]
    assert mail.outbox[0].attachments[0][1] == kept
