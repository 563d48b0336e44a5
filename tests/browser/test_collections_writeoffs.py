"""Closed accounts in a real browser: the worklist by step, a write-off that waits
for another person's approval, an agency assignment with its file and a
remittance, a lien certified and listed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ratepayer.collections.actions import writeoffs as wo
from ratepayer.collections.models import AgencyAssignment, AgencyFile, LienCertification, WriteOff
from ratepayer.ledger import checks
from ratepayer.staff.models import ApprovalRequest
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot
from tests.collections.writeoff_helpers import closed_owing

pytestmark = pytest.mark.browser
D = Decimal


def test_worklist_then_write_off_waits_for_approval(page, live_server, browser_data, new_page):
    account = closed_owing(browser_data.utility)
    login(page, live_server, "specialist")  # write-off limit 100.00; the account owes 150.00
    nav_to(page, "Closed accounts")
    page.get_by_role("heading", name="Closed accounts with balances").wait_for()
    assert page.locator('[data-step="final_bill"] .count').inner_text() == "1"
    assert account.number in page.locator("#closed-accounts").inner_text()
    assert_fits_width(page)
    screenshot(page, "collections-closed-worklist")

    page.get_by_role("link", name="Work it").click()
    page.locator("#step-now").wait_for()
    assert "$150.00" in page.locator("#step-now").inner_text()
    assert_fits_width(page)
    screenshot(page, "collections-closed-account")
    page.select_option("#wo-reason", "uncollectible")
    page.fill("#wo-memo", "Final notice and two letters returned; no forwarding address")
    page.get_by_role("button", name="Write off $150.00").click()
    page.locator(".msg-warning", has_text="waits for another person's approval").wait_for()
    assert "Awaiting approval" in page.locator("#step-now").inner_text()
    screenshot(page, "collections-write-off-requested")
    # the account's collections tab carries the closed-account panel
    page.goto(f"{live_server.url}/collections/accounts/{account.number}/")
    panel = page.locator("#panel-closed_account")
    assert "Awaiting approval" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    screenshot(page, "collections-account-tab-closed-panel")
    write_off = WriteOff.objects.get()
    assert write_off.status == "pending"

    senior = new_page()
    login(senior, live_server, "senior")
    senior.goto(f"{live_server.url}/approvals/")
    request = ApprovalRequest.objects.get(pk=write_off.approval_request_id)
    row = senior.locator(f"#request-{request.pk}")
    assert "Write off $150.00" in row.inner_text() and account.number in row.inner_text()
    screenshot(senior, "collections-write-off-approval")
    row.locator("[data-approve]").click()
    senior.locator(".msg-success", has_text=f"Request #{request.pk} approved").wait_for()
    write_off.refresh_from_db()
    assert write_off.status == "posted"
    assert checks.run_all()["ok"]

    senior.goto(f"{live_server.url}/collections/write-offs/")
    assert "Written off" in senior.locator("#write-offs").inner_text()
    assert_fits_width(senior)
    screenshot(senior, "collections-write-offs")


def test_agency_assignment_file_and_remittance(page, live_server, browser_data):
    users = browser_data.users
    account = closed_owing(browser_data.utility)
    wo.save_agency(user=users["supervisor"], code="NWC", name="Northwest Credit Services", fee_percent="30",
                   license_number="CAG-1234")
    today = timezone.localdate()
    login(page, live_server, "specialist")
    page.goto(f"{live_server.url}/collections/closed/{account.number}/")
    # too early: refused, nothing assigned
    page.fill("#ag-advised", (today - timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Assign $150.00").click()
    page.locator(".msg-error", has_text="RCW 19.16.500").wait_for()
    assert not AgencyAssignment.objects.exists()
    screenshot(page, "collections-agency-refused")
    page.fill("#ag-advised", (today - timedelta(days=31)).isoformat())
    page.get_by_role("button", name="Assign $150.00").click()
    page.locator(".msg-success", has_text="Assigned to Northwest Credit Services").wait_for()

    page.goto(f"{live_server.url}/collections/agencies/")
    page.get_by_role("button", name="Write referral file for Northwest Credit Services").click()
    page.locator(".msg-success", has_text="1 account(s)").wait_for()
    agency_file = AgencyFile.objects.get()
    with page.expect_download() as download:
        page.get_by_role("link", name=agency_file.name).first.click()
    assert download.value.suggested_filename == agency_file.name
    assignment = AgencyAssignment.objects.get()
    page.fill(f"#rref{assignment.pk}", "NWC-0412")
    page.fill(f"#rgross{assignment.pk}", "100.00")
    page.locator(f"#open-assignments tr:has(#rref{assignment.pk})").get_by_role("button", name="Record").click()
    page.locator(".msg-success", has_text="fee $30.00, $70.00 received").wait_for()
    assert_fits_width(page)
    screenshot(page, "collections-agencies")
    assert checks.run_all()["ok"]


def test_lien_certified_from_the_account_and_listed(page, live_server, browser_data):
    utility = browser_data.utility
    account = closed_owing(utility, electric="0", water="200.00")
    login(page, live_server, "specialist")
    page.goto(f"{live_server.url}/collections/closed/{account.number}/")
    page.fill("#ln-since", (timezone.localdate() - timedelta(days=60)).isoformat())
    page.fill("#ln-prime", "7.50")
    page.fill("#ln-rate", "12.00")
    page.get_by_role("button", name="Certify lien").click()
    page.locator(".msg-error", has_text="RCW 57.08.081(3)").wait_for()
    assert not LienCertification.objects.exists()
    page.fill("#ln-since", (timezone.localdate() - timedelta(days=60)).isoformat())
    page.fill("#ln-prime", "7.50")
    page.fill("#ln-rate", "11.50")
    page.get_by_role("button", name="Certify lien").click()
    page.locator(".msg-success", has_text="Lien certified on parcel 00437500001200").wait_for()
    screenshot(page, "collections-lien-account")
    page.goto(f"{live_server.url}/collections/liens/")
    assert "00437500001200" in page.locator("#liens").inner_text()
    assert_fits_width(page)
    screenshot(page, "collections-liens")
    assert LienCertification.objects.get().interest == (D("200.00") * D("0.115") * 60 / 365).quantize(D("0.01"))
