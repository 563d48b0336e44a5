"""Security deposits, ACH re-presentment, pay-by-phone and unclaimed property
screens in a real browser."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ratepayer.ledger import checks
from ratepayer.payments import actions
from ratepayer.payments.models import AchEntry, Payment, Refund, Representment, SecurityDeposit
from tests.browser.conftest import assert_fits_width, login, screenshot
from tests.payments.conftest import charge
from tests.payments.helpers import return_file

pytestmark = pytest.mark.browser

D = Decimal


@pytest.fixture
def payments_data(browser_data):
    from django.apps import apps

    importlib.import_module("ratepayer.payments.migrations.0002_chart_rules_policy").forwards(apps, None)
    importlib.import_module("ratepayer.payments.migrations.0005_deposit_rules").forwards(apps, None)
    return browser_data


def ledger_ok():
    result = checks.run_all()
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]


def test_deposit_register_require_take_at_the_counter_account_page_and_release(page, live_server, payments_data,
                                                                               new_page):
    u = payments_data.utility
    charge(u.electric, "30.00", date(2025, 1, 31))
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/payments/files/")
    page.click(".subnav >> text=Security deposits")
    page.fill("#rq-account", u.account.number)
    page.fill("#rq-amount", "120.00")
    page.fill("#rq-reason", "Disconnected for nonpayment in the last 12 months")
    page.click("text=Require deposit")
    assert "required of account" in page.locator(".messages").inner_text()
    # the clerk takes it at the counter into her drawer
    clerk = new_page()
    login(clerk, live_server, "assistant")
    clerk.goto(live_server.url + "/payments/")
    clerk.fill("#opening_float", "50.00")
    clerk.click("text=Open drawer")
    clerk.goto(live_server.url + "/payments/security-deposits/")
    assert clerk.locator("text=Require deposit").count() == 0  # not an assistant's job
    clerk.select_option("#dp-tender", "cash")
    clerk.fill("#dp-amount", "120.00")
    screenshot(clerk, "payments-security-deposit-counter")
    clerk.click("text=Take deposit")
    assert "held, not paid on the bill" in clerk.locator(".messages").inner_text()
    deposit = SecurityDeposit.objects.get()
    assert deposit.status == "held" and not Payment.objects.exists()
    # the account page shows it
    page.goto(live_server.url + f"/accounts/{u.account.number}/")
    page.wait_for_selector("#deposit-held")
    assert page.locator("#deposit-held").inner_text() == "$120.00"
    screenshot(page, "payments-account-deposit")
    # a release applies it to the 30.00 owed and refunds 90.00 by check
    page.goto(live_server.url + "/payments/security-deposits/")
    assert page.locator("#held-total").inner_text() == "$120.00"
    page.fill(f"#rr{deposit.pk}", "final bill")
    assert_fits_width(page)
    screenshot(page, "payments-security-deposits")
    page.click("#register >> text=Release")
    assert "$30.00 applied" in page.locator(".messages").inner_text()
    assert "$90.00 refunded by check" in page.locator(".messages").inner_text()
    assert Refund.objects.get().security_deposit_id == deposit.pk
    ledger_ok()


def test_represent_queue(page, live_server, payments_data):
    u = payments_data.utility
    users = payments_data.users
    charge(u.electric, "150.00", date(2025, 2, 1))
    actions.enroll_autopay(user=users["specialist"], account=u.account, holder_name="DOE JANE",
                           routing_number="021000021", bank_account_number="123456789", account_type="checking",
                           draft_day=10, start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 20),
                           authorization="signed form", prenote=False)
    today = date.today()
    actions.run_autopay(on=date(2025, 3, 7))
    AchEntry.objects.update(settlement_date=today - timedelta(days=3))  # settled recently: within 180 days
    entry = AchEntry.objects.get()
    actions.run_autopay(on=entry.settlement_date)
    actions.import_ach_returns(user=None, content=return_file(
        [(entry.trace_number, "R01", "021000021", "123456789", str(entry.amount))], created=today),
        name="returns.ach")
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/payments/files/")
    page.click(".subnav >> text=Re-presentment")
    assert "R01" in page.locator("#eligible").inner_text()
    assert_fits_width(page)
    screenshot(page, "payments-represent")
    page.click("text=Re-present (1 of 2)")
    assert "RETRY PYMT, attempt 1 of 2" in page.locator(".messages").inner_text()
    assert "Queued for the next ACH file" in page.locator("#queue").inner_text()
    page.click("#queue >> text=Cancel")
    assert Representment.objects.get().status == "cancelled"
    # an assistant is refused the page and cannot queue
    page.click("text=Sign out")
    login(page, live_server, "assistant")
    response = page.goto(live_server.url + "/payments/represent/")
    assert response.status == 403
    ledger_ok()


def test_phone_file_page(page, live_server, payments_data, tmp_path):
    u = payments_data.utility
    charge(u.electric, "80.00", date(2025, 1, 31))
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/payments/files/")
    page.click(".subnav >> text=Pay-by-phone")
    assert "transaction_id" in page.locator("#layout").inner_text()
    bad = tmp_path / "bad.csv"
    bad.write_text("settlement_date,transaction_id,account,amount,card_brand,last4\n"
                   f"2025-03-04,T1,{u.account.number},80.00,VISA,4111111111111111\nTRAILER,1,80.00\n")
    page.set_input_files("#phone-file", str(bad))
    page.click("text=Import file")
    assert "line 2: last4" in page.locator(".messages").inner_text()
    assert not Payment.objects.exists()
    good = tmp_path / "ivr-0304.csv"
    good.write_text("Date,Ref,Acct,Amt,Brand,Last4\n"
                    f"03/04/2025,T1,{u.account.number},80.00,VISA,4242\n"
                    "03/04/2025,T2,424242,5.00,MC,5454\nTRAILER,2,85.00\n")
    page.set_input_files("#phone-file", str(good))
    page.fill("#phone-map", '{"settlement_date": "Date", "reference": "Ref", "account": "Acct", "amount": "Amt", '
                            '"card_brand": "Brand", "last4": "Last4", "date_format": "%m/%d/%Y"}')
    screenshot(page, "payments-phone")
    page.click("text=Import file")
    assert "ivr-0304.csv imported" in page.locator(".messages").inner_text()
    assert page.locator("#file-total").inner_text() == "$85.00"
    assert "Visa ••••4242" in page.content()
    screenshot(page, "payments-phone-file")
    assert Payment.objects.get().card_last4 == "4242"
    ledger_ok()


def test_unclaimed_property_report(page, live_server, payments_data):
    u = payments_data.utility
    users = payments_data.users
    session = actions.open_drawer(user=users["assistant"], opening_float="0.00")
    actions.take_payment(user=users["assistant"], session=session, account=u.account, tender="cash", amount="60.00")
    refund = actions.request_refund(user=users["specialist"], agreement=u.electric, amount="60.00", method="check",
                                    payee="Jane Doe", payee_address="1204 Pine St, Everett WA 98201",
                                    reason="final bill credit")
    Refund.objects.filter(pk=refund.pk).update(issued_on=refund.issued_on - timedelta(days=400))
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/payments/files/")
    page.click(".subnav >> text=Unclaimed property")
    assert refund.check_number in page.locator("#candidates").inner_text()
    page.click("text=Void the checks and move them to unclaimed property")
    assert "1 uncashed refund check(s) voided" in page.locator(".messages").inner_text()
    moved = Refund.objects.get().unclaimed_on
    year = moved.year + (1 if moved.month > 6 else 0)
    page.select_option("#year", str(year))
    page.click("text=Show")
    assert "Jane Doe" in page.locator("#report").inner_text()
    assert page.locator("#report-total").inner_text() == "$60.00"
    assert_fits_width(page)
    screenshot(page, "payments-unclaimed")
    with page.expect_download() as download:
        page.click("#csv-link")
    text = open(download.value.path()).read()
    assert text.splitlines()[1].startswith('Jane Doe,"1204 Pine St, Everett WA 98201",60.00,')
    ledger_ok()
