"""Opening and keeping accounts in a real browser, as a clerk does it: a new
customer and account from the console (with the duplicate check), a changed
mailing address and a new contact seen in the account's history, new
construction and start of service with a move-in read, and closing the
account with its final bill, listed on the account page with its PDF and the
autopay status."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ratepayer.billing.models import Bill
from ratepayer.customers.models import (
    Account,
    Contact,
    Customer,
    MeterInstallation,
    Premise,
    ServiceAgreement,
)
from ratepayer.demo.sample_rates import install_sample_rates
from ratepayer.metering.models import RegisterRead
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot

pytestmark = pytest.mark.browser


def test_open_a_customer_and_account_then_change_the_address_and_add_a_contact(page, live_server, browser_data):
    utility = browser_data.utility
    login(page, live_server, "specialist")
    # the clerk's way in: the start page's button (also on the search page and in the Customers menu)
    page.click("#new-customer")
    page.wait_for_url("**/customers/new/")
    page.fill("#id_first_name", "Jane")
    page.fill("#id_last_name", "Doe")
    page.fill("#id_phone", "(425) 555-0177")
    page.fill("#id_mailing_line1", "1204 Pine St")
    page.fill("#id_mailing_city", "Everett")
    page.fill("#id_mailing_zip", "98201")
    page.select_option("#id_language", "es")
    page.click("#new-customer-form button[type=submit]")
    duplicates = page.locator("#duplicates")
    duplicates.wait_for()
    assert utility.account.number in duplicates.inner_text() and "address" in duplicates.inner_text()
    assert Customer.objects.count() == 1  # nothing was opened
    assert_fits_width(page)
    screenshot(page, "customers-new-duplicate")

    page.check("#id_confirm_not_duplicate")
    page.click("#new-customer-form button[type=submit]")
    page.locator(".msg-success", has_text="opened for Jane Doe").wait_for()
    account = Account.objects.exclude(pk=utility.account.pk).get()
    assert page.url.endswith(f"/accounts/{account.number}/")
    assert page.inner_text("#account-number") == account.number
    changes = page.inner_text("#changes")
    assert "Possible duplicate confirmed as new" in changes and "Account opened" in changes
    assert f"account {utility.account.number} (same name, address)" in changes and "{'" not in changes
    assert "language: Spanish" in changes
    screenshot(page, "customers-opened")

    page.click("#edit-link")
    page.fill("#address input[name=mailing_line1]", "55 Alder Ln")
    page.fill("#address input[name=mailing_zip]", "980")  # refused where it is, nothing changed
    page.click("#address button[type=submit]")
    assert "ZIP code" in page.locator("#address .field.has-error").inner_text()
    account.refresh_from_db()
    assert account.mailing_line1 == "1204 Pine St"
    page.fill("#address input[name=mailing_zip]", "98036")
    page.fill("#address input[name=mailing_city]", "Lynnwood")
    page.click("#address button[type=submit]")
    page.locator(".msg-success", has_text="Mailing address changed").wait_for()
    assert "55 Alder Ln, Lynnwood" in page.inner_text(".account-grid")
    changes = page.inner_text("#changes")
    assert "1204 Pine St → 55 Alder Ln" in changes and "Everett → Lynnwood" in changes
    screenshot(page, "customers-address-changed")

    page.click("#edit-link")
    page.fill("#id_new-name", "Sam Doe")
    page.fill("#id_new-role", "Son")
    page.fill("#id_new-email", "sam@example.com")
    page.select_option("#id_new-prefers", "phone")  # without a phone: refused, said where
    page.click("#new-contact button[type=submit]")
    assert "Phone" in page.locator("#new-contact").inner_text()
    assert Contact.objects.filter(customer=account.customer).count() == 1
    page.select_option("#id_new-prefers", "email")
    page.click("#new-contact button[type=submit]")
    page.locator(".msg-success", has_text="Contact added").wait_for()
    assert "Sam Doe" in page.inner_text("#contacts")
    assert_fits_width(page)
    screenshot(page, "customers-edit")
    page.goto(f"{live_server.url}/accounts/{account.number}/")
    assert "Sam Doe" in page.inner_text("#h-contacts + table")
    assert "Contact added" in page.inner_text("#changes")


def test_the_console_offers_new_customer_and_new_premise(page, live_server, browser_data, new_page):
    login(page, live_server, "specialist")
    nav_to(page, "New premise")
    page.wait_for_url("**/premises/new/")
    nav_to(page, "New customer")
    page.wait_for_url("**/customers/new/")
    page.goto(f"{live_server.url}/search/")
    assert page.locator("#new-customer").is_visible()
    assistant = new_page()
    login(assistant, live_server, "assistant")  # no account.maintain: no way in, and refused if typed
    assert assistant.locator("#new-customer").count() == 0
    response = assistant.request.get(f"{live_server.url}/customers/new/")
    assert response.status == 403


def test_new_construction_start_of_service_and_closing_with_the_final_bill(page, live_server, browser_data):
    from ratepayer.customers import actions
    from ratepayer.payments.actions.autopay import enroll_autopay

    users = browser_data.users
    rates = install_sample_rates()
    login(page, live_server, "specialist")
    nav_to(page, "New premise")
    page.fill("#id_line1", "77 New Rd")
    page.fill("#id_city", "Monroe")
    page.fill("#id_zip", "98272")
    page.fill("#id_parcel_number", "280500000010")
    page.check("input[name=services][value=electric]")
    page.click("form.stacked button[type=submit]")
    page.locator(".msg-success", has_text="Premise 77 New Rd").wait_for()
    premise = Premise.objects.get(line1="77 New Rd")
    point = premise.service_points.get()
    form = page.locator(f"#sp-{point.pk} form")
    form.locator("input[name$=serial_number]").fill("E77001")
    form.locator("input[name$=installed_on]").fill("2025-01-02")
    form.locator("input[name$=first_read]").fill("10")
    assert_fits_width(page)
    screenshot(page, "customers-premise")
    form.locator("button[type=submit]").click()
    page.locator(".msg-success", has_text="Meter E77001 installed").wait_for()
    assert "E77001" in page.inner_text(f"#sp-{point.pk}")
    meter = MeterInstallation.objects.get(service_point=point).meter
    assert RegisterRead.objects.get(meter=meter).read_type == "meter_in"

    account = actions.open_customer_account(user=users["specialist"], first_name="Ana", last_name="Reyes",
                                            mailing_line1="PO Box 9", mailing_city="Monroe", mailing_zip="98272",
                                            opened_on=date(2025, 1, 10))
    page.goto(f"{live_server.url}/accounts/{account.number}/")
    page.click("text=Start / stop / move")
    page.fill("#premise-q", "77 new")
    page.click("#start .premise-search button")
    page.select_option("#start select[name=service_point]", str(point.pk))
    page.select_option("#start select[name=rate_schedule]", str(rates["RES-E"].pk))
    page.fill("#start input[name=start_date]", "2025-01-10")
    page.fill("#start input[name=move_in_read]", "150")
    screenshot(page, "customers-start")
    page.click("#start form[method=post] button[type=submit]")
    page.locator(".msg-success", has_text="with a move-in read of 150").wait_for()
    move_in = RegisterRead.objects.get(meter=meter, read_date=date(2025, 1, 10))
    assert move_in.value == Decimal("150") and move_in.status == "valid"
    assert "77 New Rd" in page.inner_text("#h-services + .premise")
    assert "E77001" in page.inner_text("#h-services + .premise")

    enroll_autopay(user=users["specialist"], account=account, holder_name="Ana Reyes", routing_number="021000021",
                   bank_account_number="000123456789", account_type="checking", draft_day=15,
                   start_date=date(2025, 1, 10), authorized_on=date(2025, 1, 10), authorization="signed form")
    page.click("#close-link")
    page.fill("input[name=closed_on]", "2025-02-09")
    page.click("form.stacked button[type=submit]")  # no final read: refused, nothing changed
    assert "Enter this meter's final read" in page.locator(".field.has-error").inner_text()
    assert Account.objects.get(pk=account.pk).status == "active"
    reading = page.get_by_label("Final read — Electric, meter E77001")
    reading.fill("850")
    assert_fits_width(page)
    screenshot(page, "customers-close")
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    screenshot(page, "customers-closed-final-bill")
    page.locator(".msg-success", has_text="Final bill of").wait_for()
    bill = Bill.objects.get(account=account)
    assert f"Final bill of {bill.bill_date:%Y-%m-%d}" in page.locator(".msg-success").inner_text()
    assert f"bill {bill.pk}" not in page.locator(".msg-success").inner_text()
    assert ServiceAgreement.objects.get(account=account).status == "ended"

    bills = page.locator("#bills")
    row = bills.locator("tbody tr").first
    assert f"{bill.bill_date:%Y-%m-%d}" in row.inner_text() and "Issued" in row.inner_text()
    assert f">{bill.pk}<" not in bills.inner_html()  # bills by date on the account, not by internal id
    assert f"account {account.number}" in page.inner_text("#h-bills").lower()
    assert "Enrolled" in page.inner_text("#autopay") or "Prenote" in page.inner_text("#autopay")
    assert f"the bill of {bill.bill_date:%Y-%m-%d}" in page.inner_text("#autopay")
    assert "Final bill" in page.inner_text("#changes") and f"final bill {bill.pk} " not in page.inner_text("#changes")
    history = page.inner_text("#history")
    assert f"bill of {bill.bill_date:%Y-%m-%d}" in history and f"bill {bill.pk}" not in history
    assert_fits_width(page)
    screenshot(page, "customers-closed-final-bill")
    href = row.locator("a", has_text="PDF").get_attribute("href")
    pdf = page.request.get(live_server.url + href, timeout=90_000)  # WeasyPrint on a busy machine
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    row.locator("a").first.click()
    page.wait_for_url(f"**/billing/bills/{bill.pk}/")
    assert bill.due_date > bill.bill_date - timedelta(days=1)
