"""Bill PDF, scan line, print-vendor file and e-bills."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal

from django.core import mail

from ratepayer.billing import documents
from ratepayer.billing.models import Bill, BillDelivery, BillRun
from ratepayer.customers.models import Contact
from ratepayer.formats import scanline
from tests.billing.conftest import build_town
from tests.billing.test_billrun import run_cycle


def test_bill_pdf_renders_a_page_with_charges_chart_and_stub(town, tmp_path):
    for month in (2, 3, 4):
        run_cycle(town.cycle, date(2025, month, 14))
    bill = Bill.objects.filter(account=town.accounts[0]).order_by("-period_end").first()
    html = documents.render_html(bill)
    for text in ("Amount due", "Electric", "Water", "Sewer", "Energy charge, first 1,000 kWh", "Your usage over 13 months",
                 "Please return this portion", documents.scan_line_for(bill), town.accounts[0].number):
        assert text in html
    assert html.count("<rect") == 6  # three bills of electric and of water; sewer is not metered
    pdf = documents.render_pdf(bill)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "bill.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", str(tmp_path / "bill.pdf"), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page.png").stat().st_size > 10_000


def test_scan_line_carries_account_amount_due_and_check_digit(town):
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = Bill.objects.filter(account=town.accounts[0]).get()
    parsed = scanline.parse(documents.scan_line_for(bill))
    assert parsed["account"] == town.accounts[0].number.zfill(10)
    assert parsed["amount_due"] == bill.amount_due and parsed["due_date"] == bill.due_date


def test_bills_speak_the_customers_language(db, users, fake_usage):
    es = build_town(users["specialist"], accounts=1, cycle_code="20", language="es")
    ru = build_town(users["specialist"], accounts=1, cycle_code="21", language="ru")
    run_cycle(es.cycle, date(2025, 2, 14))
    run_cycle(ru.cycle, date(2025, 2, 14))
    html_es = documents.render_html(Bill.objects.get(account=es.accounts[0]))
    html_ru = documents.render_html(Bill.objects.get(account=ru.accounts[0]))
    assert "Importe a pagar" in html_es and "Electricidad" in html_es and "14.02.2025" in html_es
    assert "К оплате" in html_ru and "Электроэнергия" in html_ru
    assert 'lang="ru"' in html_ru


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
    Contact.objects.create(customer=account.customer, email="pat@example.org", is_primary=True)
    run_cycle(town.cycle, date(2025, 2, 14))
    run = BillRun.objects.get()
    assert documents.render_run(run) == 3
    assert documents.render_run(run) == 0  # already rendered
    assert len(list(tmp_path.rglob("bill-*.pdf"))) == 3
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.org"] and "due" in message.subject
    assert message.attachments[0][2] == "application/pdf"
    assert BillDelivery.objects.get().to == "pat@example.org"
    assert Decimal(0) < Bill.objects.get(account=account).amount_due
