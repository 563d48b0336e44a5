"""Bills in the customer's language from the gettext catalogs, in U.S. formats,
and the bill document's layout: quantities, basic charges, chart labels and
second premises (issue 10 point 3, issue 11 "Translations with Django's i18n")."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils import translation

from ratepayer.billing import documents, line_text, tariff_words
from ratepayer.billing.models import Bill, BillLine
from ratepayer.customers import actions as customer_actions
from ratepayer.customers.models import Meter
from ratepayer.demo.sample_rates import install_sample_rates
from tests.billing.conftest import build_town
from tests.billing.test_billrun import run_cycle

ARTIFACTS = Path(os.environ.get("RATEPAYER_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
MONTHS = [date(2025, m, 14) for m in range(2, 13)] + [date(2026, 1, 14), date(2026, 2, 14), date(2026, 3, 14)]


def bill_with_history_and_two_premises(user, language: str, code: str) -> Bill:
    """One account billed for 14 months (the 13-month chart repeats a month)
    with electric service at a second premise."""
    town = build_town(user, accounts=1, cycle_code=code, language=language)
    account = town.accounts[0]
    premise = customer_actions.create_premise(user=user, line1="2200 Orchard Rd", city="Sultan", zip="98294",
                                              services=("electric",))
    point = premise.service_points.get(service="electric")
    meter = Meter.objects.create(serial_number=f"E99000{code}", service="electric", unit="kWh", size="")
    customer_actions.install_meter(user=user, meter=meter, service_point=point, installed_on=date(2020, 1, 1))
    customer_actions.start_service(user=user, account=account, service_point=point,
                                   rate_schedule=install_sample_rates()["RES-E"], customer_class="residential",
                                   bill_cycle=town.cycle, start_date=date(2025, 1, 2))
    for period_end in MONTHS:
        run_cycle(town.cycle, period_end)
    return Bill.objects.filter(account=account).order_by("-period_end").first()


def pdf_words(pdf: bytes, tmp_path, layout: bool = False) -> str:
    """The PDF's text (poppler's pdftotext): in reading order with whitespace
    collapsed, or as laid out on the page."""
    path = tmp_path / "bill.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text if layout else " ".join(text.split())


def keep_png(pdf: bytes, name: str, tmp_path) -> None:
    """The page as a PNG in test-artifacts/, to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(ARTIFACTS / f"{name}.pdf"),
                    str(ARTIFACTS / name)], check=True)


@pytest.mark.parametrize(("language", "code", "words"), [
    ("en", "41", ["Daily base charge", "Ready-to-serve charge", "Sewer service", "Energy charge",
                  "Service addresses", "Mar 14, 2026"]),
    ("es", "42", ["Cargo base diario", "Cargo por disponibilidad del servicio", "Servicio de alcantarillado",
                  "Cargo por energía", "Direcciones del servicio", "03/14/2026", "Importe a pagar"]),
    ("ru", "43", ["Ежедневная базовая плата", "Плата за готовность к обслуживанию", "Водоотведение",
                  "Плата за энергию", "Адреса обслуживания", "03/14/2026", "К оплате"]),
])
def test_a_bill_reads_in_the_customers_language_with_us_numbers_and_a_clear_layout(
        db, users, fake_usage, tmp_path, language, code, words):
    bill = bill_with_history_and_two_premises(users["specialist"], language, code)
    pdf = documents.render_pdf(bill)
    keep_png(pdf, f"bill-{language}", tmp_path)
    flat = pdf_words(pdf, tmp_path)
    for word in words:  # line descriptions and headings from the catalogs, dates in U.S. order
        assert word.casefold() in flat.casefold(), word  # (headings are upper-cased by the stylesheet)
    if language != "en":
        for english in ("Daily base charge", "Energy charge", "Amount due", "Ready-to-serve", "days)"):
            assert english.casefold() not in flat.casefold(), english
    # amounts in U.S. format in every language: "$1,234.56", never "$564,52"
    context = documents.bill_context(bill)
    assert context["amount_due"] in flat and re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d{2}", context["amount_due"])
    assert not re.search(r"\$\d+,\d{2}\b", flat)
    # quantity, unit and rate in their own columns, apart on the page: never "kWh$0.0879"
    laid_out = pdf_words(pdf, tmp_path, layout=True)
    assert re.search(r"\d kWh {2,}\$0\.08935", laid_out)
    assert not re.search(r"(kWh|CCF|days?|d[ií]as?|дн\w*) ?\$", laid_out)
    # no fraction of a month or bill as a quantity
    assert not re.search(r"\d\.\d+ (months|bills|meses|facturas|месяц\w*|сч\w*)", flat)
    # the 13-month chart: each bar's label is unique; each premise named and each chart captioned apart
    charts = [s["chart"] for s in context["services"] if s["chart"]]
    assert len(charts) == 3  # electric at each premise, water
    for chart in charts:
        assert len(chart["labels"]) == 13 and len(set(chart["labels"])) == 13, chart["labels"]
    assert len({c["title"] for c in charts}) == 3
    electric = [s for s in context["services"] if s["segment"].service == "electric"]
    assert {s["address"] for s in electric} == {"100 Main St, Monroe", "2200 Orchard Rd, Sultan"}
    assert "2200 Orchard Rd, Sultan" in flat and "100 Main St, Monroe" in flat


def test_the_first_bill_shows_a_part_month_charge_as_its_days_not_a_fraction_of_a_month(db, users, fake_usage):
    town = build_town(users["specialist"], accounts=1, cycle_code="44", language="es")
    run_cycle(town.cycle, date(2025, 2, 14))  # Jan 2 - Feb 14: 1.4677 months of a monthly charge
    bill = Bill.objects.get(account=town.accounts[0])
    line = BillLine.objects.get(segment__bill=bill, description="Ready-to-serve charge")
    assert line.unit == "months" and line.quantity != line.quantity.to_integral_value()
    with translation.override("es"):
        view = documents.line_view(line, 44)
    assert (view["quantity"], view["unit"]) == ("44", "días")
    assert view["rate"].startswith("$") and view["rate"].endswith("/mes")
    assert view["description"] == "Cargo por disponibilidad del servicio"
    whole = BillLine(kind="fixed", description="Basic charge", quantity=Decimal("1.0000"), unit="months",
                     rate=Decimal("19.00"), amount=Decimal("19.00"))
    with translation.override("ru"):
        view = documents.line_view(whole, 31)
    assert (view["quantity"], view["unit"], view["rate"], view["description"]) == ("1", "месяц", "$19.00",
                                                                                   "Базовая плата")
    energy = BillLine(kind="energy", description="Energy charge, first 1,000 kWh", quantity=Decimal("1007.2667"),
                      unit="kWh", rate=Decimal("0.0879"), amount=Decimal("88.54"))
    with translation.override("es"):
        view = documents.line_view(energy, 31)
    assert (view["quantity"], view["unit"], view["rate"], view["amount"]) == ("1,007.2667", "kWh", "$0.0879",
                                                                              "$88.54")
    assert view["description"] == "Cargo por energía, primeros 1,000 kWh"


@pytest.mark.parametrize(("description", "en", "es", "ru"), [
    ("Basic charge", "Basic charge", "Cargo básico", "Базовая плата"),
    ("Energy charge, over 600 kWh (2025-01-01 to 2025-01-15)",
     "Energy charge, over 600 kWh (Jan 1, 2025 to Jan 15, 2025)",
     "Cargo por energía, más de 600 kWh (01/01/2025 a 01/15/2025)",
     "Плата за энергию, свыше 600 kWh (с 01/01/2025 по 01/15/2025)"),
    ("Sewer per dwelling unit", "Sewer per dwelling unit", "Alcantarillado por vivienda", "Канализация за квартиру"),
    ("Customer charge, 12 of 30 days", "Customer charge, 12 of 30 days", "Cargo por cliente, 12 de 30 días",
     "Абонентская плата, 12 из 30 дней"),
    ("State public utility tax, 3.873% of bill", "State public utility tax, 3.873% of bill",
     "Impuesto estatal sobre servicios públicos, 3.873% de la factura",
     "Налог штата на коммунальные услуги, 3.873% от счёта"),
    ("Minimum bill (minimum $0.53/day x 31 days exceeds regular charges)",
     "Minimum bill (minimum $0.53 a day × 31 days exceeds regular charges)",
     "Factura mínima (el mínimo de $0.53 al día × 31 días supera los cargos regulares)",
     "Минимальный счёт (минимум $0.53 в день × 31 дн. больше обычных начислений)"),
    ("Energy (summer), first 800 kWh/month", "Energy (summer), first 800 kWh a month",
     "Energía (verano), primeros 800 kWh al mes", "Энергия (лето), первые 800 kWh в месяц"),
    # words no catalog translates are kept as the tariff wrote them
    ("A utility's own words", "A utility's own words", "A utility's own words", "A utility's own words"),
])
def test_rating_line_descriptions_are_translated_at_render_time(db, description, en, es, ru):
    for language, expected in (("es", es), ("ru", ru), ("en", en)):
        with translation.override(language):
            assert line_text.translate_description(description, documents.format_date) == expected


def test_every_shipped_tariffs_words_are_in_the_catalogs(db):
    words = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description" and isinstance(value, str):
                    words.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    examples = Path(documents.__file__).resolve().parents[1] / "rating" / "examples"
    for path in examples.glob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document.pop("description", None)  # the tariff's own title, not printed on a line
        walk(document)
    listed = {str(w) for w in tariff_words.TARIFF_WORDS}
    assert words and words <= listed, words - listed
    for language in ("es", "ru"):
        with translation.override(language):
            untranslated = [w for w in listed if line_text.tariff_word(w) == w]
        assert not untranslated, (language, untranslated)


def test_compiled_catalogs_are_present_for_every_language(db):
    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        catalog = Path(settings.LOCALE_PATHS[0]) / code / "LC_MESSAGES"
        assert (catalog / "django.po").exists() and (catalog / "django.mo").exists(), code
        assert (catalog / "django.mo").stat().st_mtime >= (catalog / "django.po").stat().st_mtime - 1, \
            f"{code}: django.mo is older than django.po; run `make messages`"


def test_ebill_subject_and_body_are_in_the_customers_language(db, users, fake_usage, settings, tmp_path):
    from django.core import mail

    from ratepayer.customers.models import Contact
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path
    town = build_town(users["specialist"], accounts=1, cycle_code="45", language="ru")
    account = town.accounts[0]
    Contact.objects.create(customer=account.customer, email="ivan@example.org", is_primary=True)
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = Bill.objects.get(account=account)
    documents.send_ebill(bill)
    from ratepayer.outbox import actions as outbox

    assert outbox.deliver_due() == {"sent": 1}  # queued with the bill, sent by a worker (here: now)
    message = mail.outbox[0]
    amount = documents.format_amount(bill.amount_due)
    due = f"{bill.due_date:%m/%d/%Y}"
    assert message.subject == f"Счёт {settings.UTILITY_NAME} за фев 2025 — {amount}, оплатить до {due}"
    assert message.body.startswith("Здравствуйте") and f"К оплате: {amount}, до {due}." in message.body
