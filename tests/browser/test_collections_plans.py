"""Payment arrangements and long-term contracts in a real browser: from the account page
to the arrangement wizard (schedule shown before saving), and the contract form, its
amortization view and a payoff quote for a chosen date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ratepayer.collections.models import LongTermContract, PaymentArrangement
from tests.browser.conftest import assert_fits_width, login, screenshot
from tests.collections.conftest import owe

pytestmark = pytest.mark.browser


def test_set_up_an_arrangement_from_the_account_page(page, live_server, browser_data):
    utility = browser_data.utility
    owe(utility.account, utility.electric, "360.00", on=timezone.localdate() - timedelta(days=40))
    login(page, live_server, "specialist")
    page.goto(f"{live_server.url}/accounts/{utility.account.number}/")
    page.locator("#collections-link").click()
    page.locator("#panel-arrangements").wait_for()
    screenshot(page, "collections-account-tab-before")
    page.locator("#arrangement-new-link").click()
    page.get_by_role("heading", name="New payment arrangement").wait_for()
    assert page.get_by_label("Past-due amount").input_value() == "360.00"
    page.get_by_label("Down payment").fill("90.00")  # the policy asks 25 %
    page.get_by_label("Installments").fill("3")
    page.get_by_label("First installment due").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Show schedule").click()
    schedule = page.locator("#schedule")
    schedule.wait_for()
    assert schedule.locator("tbody tr").count() == 4  # the down payment and three installments of 90.00
    assert schedule.get_by_text("$90.00").count() == 4
    assert PaymentArrangement.objects.count() == 0
    assert_fits_width(page)
    screenshot(page, "collections-arrangement-wizard")
    page.get_by_role("button", name="Save arrangement").click()
    page.get_by_role("heading", name="Payment arrangement #").wait_for()
    assert "Proposed" in page.locator("h1").inner_text()
    assert PaymentArrangement.objects.get().down_payment == 90
    screenshot(page, "collections-arrangement")
    page.get_by_role("link", name="Payment arrangements").first.click()
    page.get_by_role("heading", name="Payment arrangements").wait_for()
    assert page.get_by_role("link", name=utility.account.number).count() == 1
    screenshot(page, "collections-arrangements-list")
    page.goto(f"{live_server.url}/collections/accounts/{utility.account.number}/")
    assert "Proposed" in page.locator("#panel-arrangements").inner_text()
    screenshot(page, "collections-account-tab")


def test_set_up_a_sewer_connection_contract_and_quote_its_payoff(page, live_server, browser_data):
    utility = browser_data.utility
    today = timezone.localdate()
    login(page, live_server, "senior")
    page.goto(f"{live_server.url}/collections/accounts/{utility.account.number}/contracts/new")
    page.get_by_role("heading", name="New long-term contract").wait_for()
    page.get_by_label("Principal").fill("14850.00")
    page.get_by_label("Annual rate (%)").fill("5.25")
    page.get_by_label("Term (months)").fill("181")
    page.get_by_label("First installment due").fill((today + timedelta(days=20)).isoformat())
    page.get_by_label("Recording number").fill("202612070042")
    page.get_by_role("button", name="Show schedule").click()
    page.locator(".field-error").first.wait_for()
    assert page.locator(".field-error").first.inner_text().startswith("181 months is longer than the law allows")
    assert "RCW 57.08.005(11)" in page.locator(".field-error").first.inner_text()
    screenshot(page, "collections-contract-refused")
    page.get_by_label("Term (months)").fill("180")
    page.get_by_role("button", name="Show schedule").click()
    page.locator("#schedule").wait_for()
    assert "$119.38" in page.locator("#schedule").inner_text()
    screenshot(page, "collections-contract-schedule", full_page=False)
    page.get_by_role("button", name="Save contract").click()
    page.locator("#payoff").wait_for()
    contract = LongTermContract.objects.get()
    quote_day = today + timedelta(days=50)
    page.get_by_label("Pay off on").fill(quote_day.isoformat())
    page.get_by_role("button", name="Quote").click()
    page.wait_for_url(f"**/collections/contracts/{contract.pk}/?quote_date={quote_day.isoformat()}")
    payoff = page.locator("#payoff").inner_text()
    assert "$14,850.00" in payoff
    assert_fits_width(page)
    screenshot(page, "collections-contract", full_page=False)
