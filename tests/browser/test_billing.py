"""Billing screens in a real browser: calendar → start a run → live progress,
review queue, bill view with its PDF, cancel/rebill."""

from __future__ import annotations

import importlib
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from ratepayer.billing import billrun
from ratepayer.billing.models import Bill, BillRun
from tests.billing import fake_metering
from tests.billing.conftest import build_town
from tests.browser.conftest import assert_fits_width, login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def billing_town(browser_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.BILLING_USAGE_MODULE = "tests.billing.fake_metering"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    fake_metering.OVERRIDES.clear()
    # the billing policy is seeded by a migration; transactional tests flush it
    importlib.import_module("ratepayer.billing.migrations.0004_default_policy").seed(apps, None)
    town = build_town(browser_data.users["specialist"], accounts=4)
    yield town
    fake_metering.OVERRIDES.clear()


def test_start_a_run_from_the_calendar_then_review_and_release(page, live_server, billing_town):
    electric = billing_town.agreements[billing_town.accounts[1].pk]["electric"]
    fake_metering.OVERRIDES[electric.pk] = {"quantity": Decimal("0")}
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/billing/?year=2025")
    page.get_by_role("heading", name="Cycle calendar 2025").wait_for()
    assert_fits_width(page)
    page.locator('td[data-cycle="05"][data-read="2025-02-14"] a[data-fill-run]').click()
    assert page.locator("#run-period-end").input_value() == "2025-02-14"
    screenshot(page, "billing-calendar")
    page.get_by_role("button", name="Start run").click()
    page.locator('#run-progress[data-status="finished"]').wait_for()
    assert page.locator("#run-issued").inner_text() == "3" and page.locator("#run-held").inner_text() == "1"
    screenshot(page, "billing-run-finished")

    page.get_by_role("link", name="Review queue for this run").click()
    row = page.locator("#review tbody tr")
    assert row.count() == 1 and "zero usage on an active service" in row.inner_text()
    screenshot(page, "billing-review-queue")
    page.fill(f"#release-note-{Bill.objects.get(status='held').pk}", "house vacant, confirmed by phone")
    page.locator("[data-release]").click()
    page.get_by_text("released and posted").wait_for()
    assert Bill.objects.filter(status="held").count() == 0
    assert "No bills are held" in page.content()


def test_run_progress_updates_live(page, live_server, billing_town):
    run = billrun.plan_run(cycle=billing_town.cycle, period_end=date(2025, 2, 14), chunk_accounts=1)
    login(page, live_server, "assistant")
    page.goto(f"{live_server.url}/billing/runs/{run.pk}/")
    assert page.locator("#run-status").inner_text() == "Planned"
    assert page.locator("#run-progress").get_attribute("hx-get")
    worker = threading.Thread(target=billrun.work_on_run, args=(BillRun.objects.get(pk=run.pk),))
    worker.start()
    worker.join()
    page.locator('#run-progress[data-status="finished"]').wait_for(timeout=10_000)  # polled, no reload
    assert page.locator("#run-issued").inner_text() == "4"
    screenshot(page, "billing-run-progress")


def test_bill_view_pdf_and_cancel_rebill(page, live_server, billing_town):
    account = billing_town.accounts[0]
    electric = billing_town.agreements[account.pk]["electric"]
    fake_metering.OVERRIDES[electric.pk] = {"quantity": Decimal("300")}
    billrun.work_on_run(billrun.plan_run(cycle=billing_town.cycle, period_end=date(2025, 2, 14)))
    bill = Bill.objects.get(account=account)
    login(page, live_server, "specialist")
    page.goto(f"{live_server.url}/billing/bills/?account={account.number}")
    page.get_by_role("link", name=str(bill.pk), exact=True).click()
    page.locator("#segment-electric").wait_for()
    assert "Daily base charge" in page.locator("#segment-electric").inner_text()
    assert_fits_width(page)
    screenshot(page, "billing-bill")
    pdf = page.request.get(f"{live_server.url}/billing/bills/{bill.pk}/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    fake_metering.OVERRIDES[electric.pk] = {"quantity": Decimal("210")}
    page.fill("#rebill-reason", "reader keyed 300 for 210")
    page.get_by_role("button", name="Cancel and rebill").click()
    page.get_by_text("corrected bill").first.wait_for()
    new = Bill.objects.get(corrects=bill)
    assert page.url.endswith(f"/billing/bills/{new.pk}/")
    assert f"Corrects bill {bill.pk}" in page.locator("main").inner_text()
    screenshot(page, "billing-rebilled")
