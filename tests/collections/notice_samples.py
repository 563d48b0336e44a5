"""NoticeDocuments of every kind for the notice tests and bench/notices.py:
a PUD's electric customer, a water-sewer district's tenant and owner."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from decimal import Decimal

from ratepayer.collections.documents import KIND_ALIASES, AssistanceProgram, Fee, NoticeDocument, PastDueBill

NOTICE_DATE = date(2026, 12, 7)
AGENCIES = (
    AssistanceProgram("Snohomish County Human Services — Energy Assistance", "(425) 388-7200",
                      "3000 Rockefeller Ave, Everett, WA 98201", "LIHEAP, winter protection income certification"),
    AssistanceProgram("Community Action of Cascade County", "(360) 555-0142", "112 Main St, Monroe, WA 98272"),
)


def pud_notice(kind: str = "past_due", language: str = "en", **changes) -> NoticeDocument:
    """An electric customer of a PUD, two bills behind, a $10 late fee."""
    kind = KIND_ALIASES.get(kind, kind)
    values = dict(
        kind=kind, utility_type="pud", language=language,
        utility_name="Cascade Public Utility District", utility_address=("PO Box 1107", "Everett, WA 98206"),
        utility_phone="(425) 555-0100", office_opens=time(8, 0), office_closes=time(17, 0),
        customer_name="Maria Gonzalez", mailing_address=("1420 Riverside Dr", "Monroe, WA 98272"),
        service_address="1420 Riverside Dr, Monroe", account_number="100234", services=("electric",),
        notice_date=NOTICE_DATE, pay_by=date(2026, 12, 17),
        past_due_bills=(PastDueBill(date(2026, 10, 14), date(2026, 11, 4), Decimal("1234.56")),
                        PastDueBill(date(2026, 11, 14), date(2026, 12, 5), Decimal("212.30"))),
        current_charges=Decimal("187.45"), fees=(Fee("late_fee", Decimal("10.00")),),
        total_to_avoid_action=Decimal("1456.86"), reconnect_fee=Decimal("50.00"),
        late_fee_percent=Decimal("1"), late_fee_minimum=Decimal("5.00"),
        assistance=AGENCIES, after_hours_phone="(425) 555-0199", reference="N-2026-004512",
        office_address="2320 California St, Everett",
    )
    if kind in ("final", "disconnect_day"):
        values.update(earliest_disconnect=date(2026, 12, 21), notice_expires=date(2027, 1, 5))
    if kind == "disconnect_day":
        values.update(notice_expires=None, pay_by=date(2026, 12, 8), earliest_disconnect=date(2026, 12, 8))
    if kind == "disconnected":
        values.update(disconnected_on=date(2026, 12, 4), total_to_avoid_action=Decimal("1506.86"),
                      fees=(Fee("late_fee", Decimal("10.00")),))
    if kind == "agency_advice":
        values.update(assign_after=date(2027, 1, 6), pay_by=date(2027, 1, 6), agency_fee_percent=Decimal("35"),
                      current_charges=Decimal("0.00"))
    values.update(changes)
    return NoticeDocument(**values)


def water_sewer_notice(kind: str = "final", language: str = "en", **changes) -> NoticeDocument:
    """A water-sewer district's tenant (or, for lien_notice and landlord_copy, its owner)."""
    kind = KIND_ALIASES.get(kind, kind)
    values = dict(
        kind=kind, utility_type="water_sewer", language=language,
        utility_name="Silver Creek Water-Sewer District", utility_address=("3015 Silver Lake Rd", "Everett, WA 98208"),
        utility_phone="(425) 555-0300", office_opens=time(7, 30), office_closes=time(16, 30),
        customer_name="Oleg Petrov", mailing_address=("88 Cedar Ct, Apt 4", "Mill Creek, WA 98012"),
        service_address="88 Cedar Ct, Apt 4, Mill Creek", account_number="200871", services=("water", "sewer"),
        notice_date=NOTICE_DATE, pay_by=date(2026, 12, 17), delinquent_since=date(2026, 10, 25),
        past_due_bills=(PastDueBill(date(2026, 9, 30), date(2026, 10, 24), Decimal("318.40")),),
        current_charges=Decimal("96.10"), fees=(Fee("late_fee", Decimal("31.84")),),
        total_to_avoid_action=Decimal("350.24"), late_fee_percent=Decimal("10"), landlord_copied=True,
        low_income_rates=True,
        assistance=AGENCIES[1:],
    )
    if kind in ("final", "disconnect_day"):
        values.update(earliest_disconnect=date(2026, 12, 21), notice_expires=date(2027, 1, 5))
    if kind == "disconnect_day":
        values.update(notice_expires=None)
    if kind in ("lien_notice", "landlord_copy"):
        values.update(customer_name="Northgate Rentals LLC", mailing_address=("PO Box 2231", "Lynnwood, WA 98036"),
                      account_holder="Oleg Petrov", landlord_copied=False)
    if kind == "lien_notice":
        values.update(certify_after=date(2027, 1, 8), lien_interest_percent=Decimal("11.5"), pay_by=date(2027, 1, 7),
                      fees=(Fee("late_fee", Decimal("31.84")), Fee("lien_fee", Decimal("51.00"))),
                      total_to_avoid_action=Decimal("401.24"))
    if kind == "landlord_copy":
        values.update(copied_kind="final", earliest_disconnect=date(2026, 12, 21), notice_expires=date(2027, 1, 5))
    values.update(changes)
    return NoticeDocument(**values)


def every_kind(language: str = "en") -> list[NoticeDocument]:
    return [pud_notice(k, language) for k in ("past_due", "final", "disconnect_day", "disconnected", "agency_advice")] \
        + [water_sewer_notice(k, language) for k in ("past_due", "final", "lien_notice", "landlord_copy")]


def city_notice(kind: str = "final", language: str = "en") -> NoticeDocument:
    return replace(pud_notice(kind, language), utility_type="city", utility_name="City of Monroe Utilities",
                   services=("electric", "water"))
