"""Collection notices as documents (collections/documents.py): every kind in
English, Spanish and Russian, read back from the PDF with poppler's
pdftotext — the legal statements DOMAIN §A.2-A.6 require, the amounts and
dates in U.S. formats — the e-mail through the outbox, and the clear error
for a notice that cannot be printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from ratepayer.collections import documents
from ratepayer.collections.documents import Fee, NoticeDocument, NoticeDocumentError, PastDueBill
from ratepayer.formats import scanline
from tests.collections.notice_samples import city_notice, every_kind, pud_notice, water_sewer_notice

ARTIFACTS = Path(os.environ.get("RATEPAYER_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
LANGUAGES = ("en", "es", "ru")


def pdf_text(pdf: bytes, tmp_path, name: str = "notice") -> str:
    """The PDF's words in reading order (``words``)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return words(text)


def pdf_pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def words(text: str) -> str:
    """Whitespace collapsed and hyphens inside words dropped: pdftotext joins a
    word broken after its hyphen at the end of a line ("past-due" -> "pastdue")."""
    return re.sub(r"(?<=\w)-\s?(?=\w)", "", " ".join(text.split()))


def us_date(day: date, language: str) -> str:
    return f"{day:%b} {day.day}, {day.year}" if language == "en" else f"{day:%m/%d/%Y}"


def required_statements(doc: NoticeDocument) -> list[str]:
    """The sentences this notice must carry, in its language, from the catalogs."""
    kind = doc.copied_kind if doc.kind == "landlord_copy" else doc.kind
    delinquency = kind in documents.DELINQUENCY
    out = [_("If you disagree with this notice"), _("Help paying your bill"),
           _("To find other help near you, call Washington 211 (dial 2-1-1).")]
    if delinquency and doc.utility_type in ("pud", "city") and "electric" in doc.services:
        out += [documents.statutes(doc)["winter"],
                _("Agree to pay the money you owe even if you move."),
                _("Apply for low-income weatherization assistance, if it is available.")]
        out += [words(p) for p in (
            _("Tell us that you cannot pay your bill. Please do so within five business days of receiving a "
              "past-due notice. If you are late and your service was disconnected, you can still get this "
              "protection by meeting these requirements."),
            _("Agree to a payment plan, and keep it, that pays your past-due bill by the following October 15 and "
              "pays for your continued service. The plan will not require monthly payments of more than 7%% of your "
              "monthly income plus one-twelfth of the arrears that build up from the date you apply. You may agree "
              "to pay more, but you are not in default as long as you pay at least that amount. If the past-due "
              "bill is not paid by October 15, you cannot get this protection again until it is paid."
              ).replace("%%", "%"),
        )]
    if delinquency and any(s in ("electric", "water") for s in doc.services):
        out.append(documents.statutes(doc)["heat"])
        hours = documents.office_hours(doc)
        ask = (_("If your service has been disconnected for nonpayment, you have the right to ask us to reconnect it "
                 "on such a day. To ask, call us at %(phone)s (%(hours)s) or come to our office at %(address)s.")
               % {"phone": doc.utility_phone, "hours": hours, "address": doc.office_address}
               if doc.office_address else
               _("If your service has been disconnected for nonpayment, you have the right to ask us to reconnect it "
                 "on such a day. To ask, call us at %(phone)s (%(hours)s).")
               % {"phone": doc.utility_phone, "hours": hours})
        out.append(ask)
    if kind in ("past_due", "final", "disconnect_day", "disconnected"):
        out.append(_("Medical emergency"))
        out.append(_("If disconnecting the service would aggravate an existing medical condition of someone living "
                     "at the service address, tell us by phone or in writing. We will postpone disconnection, or "
                     "restore service, for five business days."))
    if doc.utility_type == "water_sewer" and delinquency:
        out.append(_("Water and sewer service (RCW 57.08.081)"))
        since = doc.delinquent_since
        out.append(_("The district may shut off water or sewer service only after charges have been delinquent 30 "
                     "days. Your oldest unpaid charge became delinquent on %(since)s, so service cannot be shut off "
                     "before %(shutoff)s.") % {"since": documents.format_date(since),
                                               "shutoff": documents.format_date(since.replace(day=24).replace(
                                                   month=11))} if since else
                   _("The district may shut off water or sewer service only after charges have been delinquent 30 "
                     "days."))
    if doc.landlord_copied and doc.kind != "landlord_copy":
        out.append(_("The owner of this property has asked to be told about delinquent charges. As RCW "
                     "57.08.081(7) requires, we are sending the owner a copy of this notice."))
    if doc.kind == "landlord_copy":
        out.append("RCW 57.08.081(7)")
    if doc.kind == "agency_advice":
        out.append(_("Under RCW 19.16.500 we may assign this debt to a collection agency no sooner than 30 days after "
                     "this notice. To prevent it, pay %(amount)s by %(date)s, or call us to make a payment "
                     "arrangement.") % {"amount": "$1,456.86", "date": us_date(doc.pay_by, doc.language)})
    if doc.kind == "lien_notice":
        out += ["RCW 57.08.081(3)", "RCW 57.08.081(4)", "11.5%"]
    if doc.kind == "final":
        out.append(_("This notice is valid until %(date)s. If your service has not been disconnected by then, we will "
                     "send you a new notice before we disconnect it.") % {
            "date": us_date(doc.notice_expires, doc.language)})
    if doc.kind == "disconnected":
        out.append(_("From November 15 to March 15, we will restore your residential heating service if you contact "
                     "us and meet the requirements of winter protection on the next page. No reconnection fee or "
                     "deposit is required for it."))
    if doc.late_fee_percent:
        out.append(documents.late_fee_text(doc))
    if doc.low_income_rates:
        out.append(_("Ask us whether you qualify for our reduced rates for low-income, senior or disabled customers."))
    return out


# a word of each language that only a translated notice has
TRANSLATED = {"en": "Account number", "es": "Número de cuenta", "ru": "Номер лицевого счёта"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_renders_with_its_legal_statements_and_us_amounts_and_dates(language, tmp_path):
    for doc in every_kind(language) + [city_notice("final", language)]:
        pdf = documents.render_notice_pdf(doc)
        assert pdf.startswith(b"%PDF") and pdf_pages(pdf, tmp_path) == 2, (doc.kind, doc.utility_type)
        text = pdf_text(pdf, tmp_path)
        with translation.override(language):
            expected = [str(documents.KIND_TITLES[doc.kind]), TRANSLATED[language], doc.account_number,
                        doc.customer_name, doc.service_address, us_date(doc.notice_date, language)]
            expected += required_statements(doc)
        for bill in doc.past_due_bills:  # each unpaid bill with its dates and amount, U.S. style
            expected += [f"${bill.amount:,.2f}", us_date(bill.bill_date, language), us_date(bill.due_date, language)]
        expected.append(f"${doc.total_to_avoid_action:,.2f}")
        if doc.pay_by:
            expected.append(us_date(doc.pay_by, language))
        if doc.earliest_disconnect:
            expected.append(us_date(doc.earliest_disconnect, language))
        if doc.kind in documents.ASKS_PAYMENT:  # the remittance stub with the bill's scan line
            line = scanline.build(doc.account_number, doc.total_to_avoid_action, doc.pay_by)
            expected.append(line)
            assert scanline.parse(line).values["amount_due"] == doc.total_to_avoid_action
        else:
            assert "0000" + doc.account_number not in text
        missing = [e for e in expected if words(e) not in text]
        assert not missing, (language, doc.kind, doc.utility_type, missing)
        assert not re.search(r"\$\d+\.\d{3}|\$\d{1,3}\.\d{3},\d\d|\d,\d\d \$", text), "European number format"


def test_numbers_and_statutes_are_never_translated(tmp_path):
    texts = {lang: pdf_text(documents.render_notice_pdf(pud_notice("final", lang)), tmp_path) for lang in LANGUAGES}
    for text in texts.values():
        for same in ("$1,234.56", "$1,644.31", "RCW 54.16.285(1)-(4)", "RCW 54.16.285(5)-(7)", "(425) 555-0100",
                     "7%", "6%", "10%", "LIHEAP", "National Weather Service"):
            assert words(same) in text, same
    assert "Final notice" in texts["en"] and "Aviso final" in texts["es"] and "Последнее уведомление" in texts["ru"]
    assert "8:00 a.m. to 5:00 p.m." in texts["en"] and "с 08:00 до 17:00" in texts["ru"]


def test_what_applies_to_whom():
    """Winter duties only for electric (PUD, city) delinquency notices; heat-alert rights for electric
    or water; the water-sewer 30-day rule and lien only for water-sewer; no rights page sections
    for an agency or lien notice beyond disputes and help."""
    def sections(doc):
        with translation.override("en"):
            return documents.rights_sections(documents.notice_context(doc))

    assert sections(pud_notice("final")) == ["winter", "heat", "medical", "dispute", "late_fee", "help", "contact"]
    assert sections(water_sewer_notice("final"))[:3] == ["water_sewer", "heat", "medical"]
    assert "winter" not in sections(water_sewer_notice("final"))
    sewer_only = water_sewer_notice("final", services=("sewer",))
    assert "heat" not in sections(sewer_only) and "water_sewer" in sections(sewer_only)
    assert sections(pud_notice("agency_advice")) == ["dispute", "late_fee", "help", "contact"]
    assert sections(water_sewer_notice("lien_notice"))[0] == "dispute"
    assert documents.statutes(city_notice())["winter"] == "RCW 35.21.300"
    assert "winter" not in sections(pud_notice("final", residential=False))


def test_the_rights_page_keeps_every_section_once_in_two_balanced_columns():
    for language in LANGUAGES:
        doc = pud_notice("final", language)
        html = documents.render_notice_html(doc)
        with translation.override(language):
            for heading in (_("Medical emergency"), _("How to reach us"), _("Help paying your bill")):
                assert html.count(heading) == 1, heading
        table = html[html.index('<table class="rights-cols">'):]
        left, right = (cell.split("</td>")[0] for cell in table.split('<td class="col">')[1:3])
        sizes = [len(re.sub(r"<[^>]+>", "", c)) for c in (left, right)]
        assert min(sizes) > 0.6 * max(sizes), sizes


def test_keep_pngs_of_past_due_and_final_notices_to_look_at(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    for language in LANGUAGES:
        for doc in (pud_notice("past_due", language), pud_notice("final", language),
                    water_sewer_notice("landlord_copy", language)):
            name = f"notice-{doc.utility_type}-{doc.kind}-{language}"
            (ARTIFACTS / f"{name}.pdf").write_bytes(documents.render_notice_pdf(doc))
            subprocess.run(["pdftoppm", "-png", "-r", "80", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
                           check=True)
            assert (ARTIFACTS / f"{name}-1.png").exists() and (ARTIFACTS / f"{name}-2.png").exists()


# --------------------------------------------------------------------------- e-mail through the outbox


@pytest.mark.parametrize(("language", "subject", "greeting"), [
    ("en", "Cascade Public Utility District: Final notice: disconnection of service — account 100234", "Hello"),
    ("es", "Cascade Public Utility District: Aviso final: desconexión del servicio — cuenta 100234", "Hola"),
    ("ru", "Cascade Public Utility District: Последнее уведомление: отключение услуг — лицевой счёт 100234",
     "Здравствуйте"),
])
def test_a_notice_email_goes_through_the_outbox_in_the_customers_language_with_its_pdf(
        db, settings, tmp_path, language, subject, greeting):
    from django.core import mail

    from ratepayer.outbox import actions as outbox
    from ratepayer.outbox.models import OutboxMessage

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    doc = pud_notice("final", language)
    message = documents.queue_notice_email(doc, to="maria@example.org")
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert stored.kind == "notice_final" and stored.subject == subject
    assert stored.body.startswith(greeting) and "$1,456.86" in stored.body and us_date(doc.pay_by, language) in stored.body
    # the message keeps the notice as data; the PDF is rendered when a worker sends it
    assert NoticeDocument.from_dict(json.loads(json.dumps(stored.attachments[0]["ref"]))) == doc
    assert mail.outbox == []
    assert outbox.deliver_due() == {"sent": 1}
    sent = mail.outbox[0]
    assert sent.to == ["maria@example.org"] and sent.subject == subject
    filename, content, mimetype = sent.attachments[0]
    assert filename == "notice-final-100234-2026-12-07.pdf" and mimetype == "application/pdf"
    text = pdf_text(content, tmp_path)
    assert "$1,456.86" in text and us_date(doc.earliest_disconnect, language) in text


def test_notice_email_subject_and_body_for_every_kind():
    for language in LANGUAGES:
        for doc in every_kind(language):
            subject, body = documents.notice_email(doc)
            assert doc.account_number in subject and doc.utility_name in subject
            assert doc.utility_phone in body and "%(" not in body + subject, (language, doc.kind)
    _, body = documents.notice_email(water_sewer_notice("landlord_copy"))
    assert "your tenant Oleg Petrov at 88 Cedar Ct, Apt 4, Mill Creek" in body


def test_an_address_that_is_no_address_is_refused_by_the_outbox(db):
    from ratepayer.outbox.errors import OutboxError
    from ratepayer.outbox.models import OutboxMessage

    with pytest.raises(OutboxError, match="not an e-mail address"):
        documents.queue_notice_email(pud_notice("past_due"), to="maria at example")
    assert not OutboxMessage.objects.exists()


# --------------------------------------------------------------------------- clear errors


@pytest.mark.parametrize(("make", "field", "words_"), [
    (lambda: pud_notice("final", earliest_disconnect=None), "earliest_disconnect", "earliest disconnection date"),
    (lambda: pud_notice("final", notice_expires=None), "notice_expires", "until when"),
    (lambda: pud_notice("past_due", pay_by=None), "pay_by", "by when to pay"),
    (lambda: pud_notice("past_due", account_number=""), "account_number", "missing"),
    (lambda: pud_notice("past_due", mailing_address=()), "mailing_address", "missing"),
    (lambda: pud_notice("past_due", mailing_address="1 Main St"), "mailing_address", "tuple of lines"),
    (lambda: pud_notice("past_due", past_due_bills=()), "past_due_bills", "lists the unpaid bills"),
    (lambda: pud_notice("past_due", total_to_avoid_action=Decimal("0.00")), "total_to_avoid_action", "above $0.00"),
    (lambda: pud_notice("past_due", total_to_avoid_action=Decimal("99999.00")), "total_to_avoid_action", "more than"),
    (lambda: pud_notice("past_due", current_charges=12.5), "current_charges", "not a Decimal"),
    (lambda: pud_notice("reminder"), "kind", "is not one of"),
    (lambda: pud_notice("past_due", utility_type="coop"), "utility_type", "is not one of"),
    (lambda: pud_notice("past_due", services=("gas",)), "services", "name at least one"),
    (lambda: pud_notice("past_due", language="spanish"), "language", "two-letter"),
    (lambda: pud_notice("past_due", past_due_bills=(PastDueBill(date(2026, 10, 1), date(2026, 10, 20),
                                                                Decimal("-5")),)), "past_due_bills[0].amount",
     "positive"),
    (lambda: pud_notice("disconnected", reconnect_fee=None), "reconnect_fee", "reconnection fee"),
    (lambda: pud_notice("disconnected", fees=(Fee("reconnect_fee", Decimal("50.00")),)), "fees", "once"),
    (lambda: pud_notice("past_due", account_number="A-100234"), "account_number", "scan line"),
    (lambda: pud_notice("past_due", account_number="123456789012"), "account_number", "scan line"),
    (lambda: pud_notice("agency_advice", assign_after=date(2026, 12, 20)), "assign_after", "RCW 19.16.500"),
    (lambda: pud_notice("landlord_copy", copied_kind="final"), "utility_type", "RCW 57.08.081"),
    (lambda: water_sewer_notice("landlord_copy", copied_kind=""), "copied_kind", "name the tenant notice"),
    (lambda: water_sewer_notice("lien_notice", lien_interest_percent=None), "lien_interest_percent", "interest"),
    (lambda: water_sewer_notice("final", delinquent_since=None), "delinquent_since", "30 days"),
    (lambda: water_sewer_notice("final", delinquent_since=date(2026, 11, 30)), "earliest_disconnect",
     "not before 2026-12-30"),
])
def test_a_notice_that_cannot_be_printed_is_refused_naming_the_field(make, field, words_):
    with pytest.raises(NoticeDocumentError, match=re.escape(words_)) as caught:
        make()
    assert caught.value.field == field
    assert str(caught.value).startswith(f"Notice document: {field}:")


def test_json_round_trip_and_its_errors():
    for doc in every_kind("ru"):
        assert NoticeDocument.from_dict(json.loads(json.dumps(doc.as_dict()))) == doc
    data = pud_notice("final").as_dict()
    with pytest.raises(NoticeDocumentError, match="notice_date: is missing"):
        NoticeDocument.from_dict({k: v for k, v in data.items() if k != "notice_date"})
    with pytest.raises(NoticeDocumentError, match="colour: is not a field"):
        NoticeDocument.from_dict({**data, "colour": "red"})
    with pytest.raises(NoticeDocumentError, match="pay_by: '12/17/2026' cannot be read"):
        NoticeDocument.from_dict({**data, "pay_by": "12/17/2026"})


def test_sums():
    doc = pud_notice("final")
    assert doc.past_due == Decimal("1446.86") and doc.fees_total == Decimal("10.00")
    assert doc.balance == Decimal("1644.31")
    assert replace(doc, fees=()).balance == Decimal("1634.31")


def test_the_notice_records_kind_names_are_accepted():
    from ratepayer.collections.models import Notice

    assert pud_notice(Notice.Kind.DISCONNECT).kind == "disconnect_day"
    assert pud_notice(Notice.Kind.RECONNECT_RIGHTS).kind == "disconnected"
    assert pud_notice(Notice.Kind.AGENCY_WARNING).kind == "agency_advice"
    assert water_sewer_notice(Notice.Kind.LIEN).kind == "lien_notice"
    assert water_sewer_notice("landlord_copy", copied_kind=Notice.Kind.DISCONNECT).copied_kind == "disconnect_day"
    for kind in Notice.Kind.values:
        assert documents.KIND_ALIASES.get(kind, kind) in documents.KINDS, kind


def test_page_one_never_runs_into_the_stub(tmp_path):
    """The stub is pinned to page 1's foot; a notice whose page 1 is too long
    (here 14 unpaid bills, in Russian) gets the stub after its text instead."""
    for language in LANGUAGES:
        for doc in every_kind(language):
            document = documents.render_notice_document(doc)
            assert len(document.pages) == 2 and not documents._page_one_overflows(document), (language, doc.kind)
    bills = tuple(PastDueBill(date(2025, m, 14), date(2025, m + 1, 4), Decimal("100.00")) for m in range(1, 11)) + \
        tuple(PastDueBill(date(2026, m, 14), date(2026, m + 1, 4), Decimal("100.00")) for m in range(1, 5))
    long = pud_notice("disconnected", "ru", past_due_bills=bills, total_to_avoid_action=Decimal("1460.00"))
    html = documents.render_notice_html(long)
    html_class, stylesheet, fonts, fetcher = documents._renderer()
    pinned = html_class(string=html, url_fetcher=fetcher).render(stylesheets=[stylesheet], font_config=fonts)
    assert documents._page_one_overflows(pinned)  # as pinned, the text would run into the stub
    document = documents.render_notice_document(long)
    assert not documents._page_one_overflows(document) and len(document.pages) == 3
    text = pdf_text(document.write_pdf(), tmp_path)
    assert text.count("$100.00") == 14 and scanline.build("100234", Decimal("1460.00"), long.pay_by) in text


# --------------------------------------------------------------------------- ratepayer collections notice


def test_the_notice_command_renders_a_document_from_json(tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    source = tmp_path / "notice.json"
    source.write_text(json.dumps(water_sewer_notice("final", "es").as_dict(), indent=1), encoding="utf-8")
    out, pdf = StringIO(), tmp_path / "notice.pdf"
    call_command("collections", "notice", "--document", str(source), "--out", str(pdf), "--email", stdout=out)
    assert "final notice for account 200871 (es)" in out.getvalue()
    assert "Subject: Silver Creek Water-Sewer District: Aviso final: desconexión del servicio — cuenta 200871" \
        in out.getvalue()
    text = pdf_text(pdf.read_bytes(), tmp_path, "read")
    assert "$350.24" in text and "12/21/2026" in text and words("RCW 57.08.081(8)-(10)") in text
    broken = {**water_sewer_notice("final").as_dict(), "delinquent_since": None}
    source.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CommandError, match="Notice document: delinquent_since: is missing"):
        call_command("collections", "notice", "--document", str(source), "--out", str(pdf))
    source.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="--document: not JSON"):
        call_command("collections", "notice", "--document", str(source), "--email")
