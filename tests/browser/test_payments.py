"""Payments screens in a real browser: the cashier line (scan, tender, receipt,
next), drawer close and deposit slip, lockbox file and suspense, bank
reconciliation, returned payments, autopay, refunds and reports."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

import pytest

from ratepayer.formats import scanline
from ratepayer.payments.models import BankLine, Deposit, DrawerSession, Payment, SuspenseItem
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot
from tests.payments.conftest import charge
from tests.payments.helpers import bai2_file, lockbox_file, stub

pytestmark = pytest.mark.browser

D = Decimal


@pytest.fixture
def payments_data(browser_data):
    from django.apps import apps

    importlib.import_module("ratepayer.payments.migrations.0002_chart_rules_policy").forwards(apps, None)
    u = browser_data.utility
    charge(u.electric, "120.00", date(2025, 1, 31))
    charge(u.water, "45.50", date(2025, 1, 15))
    return browser_data


def test_cashier_line_drawer_close_and_deposit(page, live_server, payments_data):
    u = payments_data.utility
    login(page, live_server, "assistant")
    nav_to(page, "Cashier")
    page.fill("#opening_float", "100.00")
    page.click("text=Open drawer")
    assert page.locator("#q").evaluate("el => el === document.activeElement")
    # first customer: scans the stub; the amount due comes from the scan line
    page.fill("#q", scanline.build(u.account.number, D("165.50"), date(2025, 3, 20)))
    page.keyboard.press("Enter")
    assert page.locator("#account-balance").inner_text() == "$165.50"
    assert page.input_value("#amount") == "165.50"
    assert not page.locator("#check_routing").is_visible()
    page.fill("#tendered", "200")
    assert page.locator("[data-change]").inner_text() == "Change due: $34.50"
    assert_fits_width(page)
    screenshot(page, "payments-cashier")
    page.click("text=Take payment")
    assert page.locator("#receipt-amount").inner_text() == "$165.50"
    assert page.locator("#receipt-change").inner_text() == "$34.50"
    assert page.locator("#receipt-clerk").inner_text() == "Assistant"  # the person, not the user name
    screenshot(page, "payments-receipt")
    page.click("text=E-mail receipt")
    assert "e-mailed" in page.locator(".messages").inner_text()
    # next customer pays by check; a bad routing number is refused and nothing is posted
    page.click("text=Next customer")
    page.fill("#q", u.account.number)
    page.keyboard.press("Enter")
    page.check("input[name=tender][value=check]")
    assert page.locator("#check_routing").is_visible() and not page.locator("#tendered").is_visible()
    page.fill("#amount", "20.00")
    page.fill("#check_number", "1042")
    page.fill("#check_routing", "021000022")
    page.fill("#payer_name", "Jane Doe")
    page.click("text=Take payment")
    assert "Routing number" in page.locator(".msg-error").inner_text()
    assert Payment.objects.count() == 1
    # the form comes back as filled: still a check of $20.00 (never cash with the $165.50 balance)
    assert page.locator("input[name=tender][value=check]").is_checked()
    assert page.input_value("#amount") == "20.00"
    assert page.input_value("#check_number") == "1042" and page.input_value("#payer_name") == "Jane Doe"
    assert page.locator("#check_routing").is_visible() and not page.locator("#tendered").is_visible()
    screenshot(page, "payments-check-refused")
    page.fill("#check_routing", "021000021")
    page.click("text=Take payment")
    assert page.locator("#receipt-amount").inner_text() == "$20.00"
    # close the drawer: float 100 + cash 165.50 = 265.50, and one check
    nav_to(page, "Drawers & deposits")
    page.fill("[id='d_100.00']", "2")
    page.fill("[id='d_20.00']", "3")
    page.fill("[id='d_5.00']", "1")
    page.fill("[id='d_0.50']", "1")
    page.fill("#checks", "20.00")
    screenshot(page, "payments-drawer-close")
    page.click("text=Count and close")
    assert "closed and balanced" in page.locator(".messages").inner_text()
    page.click("text=Prepare deposit")
    assert page.locator("#deposit-total").inner_text() == "$185.50"
    assert_fits_width(page)
    screenshot(page, "payments-deposit-slip")
    assert DrawerSession.objects.get().status == "deposited" and Deposit.objects.get().amount == D("185.50")


def test_lockbox_suspense_and_bank_reconciliation(page, live_server, payments_data, tmp_path):
    u = payments_data.utility
    lbx = tmp_path / "lbx0304.txt"
    lbx.write_bytes(lockbox_file([("165.50", "5001", [stub(u.account.number, "165.50")]),
                                  ("30.00", "5002", [stub("99999997", "30.00")])]))
    login(page, live_server, "specialist")
    nav_to(page, "Payment files")
    page.set_input_files("#lockbox-file", str(lbx))
    page.click("text=Import lockbox")
    assert page.locator("#file-total").inner_text() == "$195.50"
    # the result in words: 2 checks in the file, 1 posted, 1 to suspense (no debug line of raw counts)
    assert page.locator("#file-posted").inner_text() == "1" and page.locator("#file-suspense").inner_text() == "1"
    assert "account 99999997 not found" in page.inner_text("main")
    screenshot(page, "payments-lockbox-file")
    # the same file again is refused, nothing posted twice
    nav_to(page, "Payment files")
    page.set_input_files("#lockbox-file", str(lbx))
    page.click("text=Import lockbox")
    assert "already imported" in page.locator(".messages").inner_text()
    assert Payment.objects.count() == 1
    assert_fits_width(page)
    screenshot(page, "payments-files")
    # research the suspense item: the customer wrote the wrong account on the stub
    page.click("nav.subnav >> text=Suspense")
    item = SuspenseItem.objects.get()
    page.fill(f"#acct{item.pk}", u.account.number)
    screenshot(page, "payments-suspense")
    page.click("button:text-is('Apply')")
    assert "Applied to" in page.locator(".messages").inner_text()
    # next morning's statement: the lockbox credit ties out, a stranger is an exception
    bai = tmp_path / "bai0305.txt"
    bai.write_bytes(bai2_file(date(2025, 3, 5), [("115", "195.50", "B115", "LOCKBOX 0012345"),
                                                 ("301", "12.00", "B301", "UNKNOWN")]))
    nav_to(page, "Payment files")
    page.set_input_files("#bank-file", str(bai))
    page.click("text=Import statement")
    nav_to(page, "Bank reconciliation")
    assert "Every deposit ties to the bank" in page.inner_text("main")
    assert "B301" in page.inner_text("main")
    summary = page.locator("#recon-summary").inner_text()
    assert "Bank lines matched to our deposits\t1\t$195.50" in summary
    assert "Bank lines not matched\t1\t$12.00" in summary and "late (more than 3 days)\t0\t$0.00" in summary
    assert_fits_width(page)
    screenshot(page, "payments-reconciliation")
    line = BankLine.objects.get(bank_reference="B301")
    page.fill(f"form:has(input[value='{line.pk}']) input[name=note]", "interest credit, not a receipt")
    page.click(f"form:has(input[value='{line.pk}']) button")
    assert "Every bank line is matched or explained" in page.inner_text("main")
    for name, title in (("Returned payments", "Returned payments"), ("Autopay", "ACH autopay"),
                        ("Refunds", "Refunds"), ("Reports", "Cash reports")):
        page.click(f"nav.subnav >> text={name}")
        assert page.locator("h1").inner_text() == title
        assert_fits_width(page)
        screenshot(page, "payments-" + name.lower().replace(" ", "-"))


def test_autopay_enrollment_masks_the_bank_account(page, live_server, payments_data):
    u = payments_data.utility
    login(page, live_server, "specialist")
    nav_to(page, "Payment files")
    page.click("nav.subnav >> text=Autopay")
    page.fill("#ap-account", u.account.number)
    page.fill("#holder_name", "DOE JANE")
    page.fill("#routing_number", "021000021")
    page.fill("#bank_account_number", "987654321")
    page.fill("#authorization", "signed form")
    page.click("button:text-is('Enroll')")
    main = page.inner_text("main")
    assert "enrolled" in main and "••••4321" in main and "987654321" not in main
    screenshot(page, "payments-autopay")


def test_assistant_cannot_open_file_pages(page, live_server, payments_data):
    login(page, live_server, "assistant")
    assert "Payment files" not in page.text_content("nav.mainnav")
    page.goto(live_server.url + "/payments/files/")
    assert "not allowed" in page.inner_text("main")


def test_a_short_drawer_is_called_short_and_needs_a_reason(page, live_server, payments_data):
    u = payments_data.utility
    login(page, live_server, "assistant")
    nav_to(page, "Cashier")
    page.fill("#opening_float", "0.00")
    page.click("text=Open drawer")
    page.fill("#q", u.account.number)
    page.keyboard.press("Enter")
    page.fill("#amount", "25.00")
    page.click("text=Take payment")
    nav_to(page, "Drawers & deposits")
    page.fill("[id='d_20.00']", "1")  # $25.00 taken, $20.00 counted
    page.click("text=Count and close")
    assert "the drawer is short $5.00" in page.locator(".msg-error").inner_text()
    assert DrawerSession.objects.get().status == "open"
    page.fill("[id='d_20.00']", "1")
    page.fill("#reason", "gave a five too many in change")
    page.click("text=Count and close")
    assert "Drawer closed short $5.00" in page.locator(".messages").inner_text()
    assert "balanced" not in page.inner_text("main")
    assert "short $5.00" in page.inner_text("main")
    assert_fits_width(page)
    screenshot(page, "payments-drawer-short")
