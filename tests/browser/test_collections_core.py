"""The collections backbone in a real browser: the worklist by step, an
account's collections tab with the verdict's reasons, recording a field result
on the order board, and the policy page refusing a penalty over the statute."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ratepayer.collections.actions import daily
from ratepayer.collections.models import ServiceOrder
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot
from tests.collections.core_helpers import issue_bill, many_accounts

pytestmark = pytest.mark.browser

DUE = date(2025, 1, 31)


@pytest.fixture
def worked(browser_data):
    u = browser_data.utility  # residential: no zone recorded, so the heat-alert rule holds it
    issue_bill(u.account, {u.electric: Decimal("120.00"), u.water: Decimal("60.00")}, date(2025, 1, 10), DUE)
    rows = many_accounts(3, start=500)  # commercial: nothing holds them
    for account, electric, water in rows:
        issue_bill(account, {electric: Decimal("140.00"), water: Decimal("45.50")}, date(2025, 1, 10), DUE)
    for day in (DUE + timedelta(days=4), DUE + timedelta(days=5), DUE + timedelta(days=20), date(2025, 3, 3)):
        daily.run(day)
    return u, rows


def test_worklist_account_tab_and_order_board(page, live_server, worked):
    u, rows = worked
    login(page, live_server, "specialist")
    nav_to(page, "Collections worklist")
    page.goto(live_server.url + "/collections/?date=2025-03-03")
    assert page.inner_text("#step-disconnect .count") == "6"
    assert page.inner_text("#step-blocked .count") == "1"
    assert_fits_width(page)
    screenshot(page, "collections-worklist")
    page.click("#step-blocked")
    assert u.account.number in page.inner_text("#worklist-rows")
    assert "heat alert" in page.inner_text("#worklist-rows")

    page.click(f"#worklist-rows >> text={u.account.number}")
    page.wait_for_url(f"**/collections/accounts/{u.account.number}/?date=2025-03-03")
    assert "Final (disconnect) notice" in page.inner_text("#notices")
    assert "blocks" in page.inner_text("#verdicts") and "No weather zone" in page.inner_text("#verdicts")
    assert "$" in page.inner_text("#aging")
    assert_fits_width(page)
    screenshot(page, "collections-account")

    page.goto(live_server.url + "/collections/orders/")
    order = ServiceOrder.objects.filter(kind="disconnect", account=rows[0][0], service_point__service="electric").get()
    card = page.locator(f"#order-{order.pk}")
    card.locator("select[name=field_result]").select_option("done")
    card.locator("input[name=completed_on]").fill("2025-03-03")
    card.locator("input[name=notes]").fill("meter pulled 10:40")
    card.locator("text=Record").click()
    page.wait_for_selector("text=completed: Done")
    assert page.locator(f"#order-{order.pk}").count() == 0
    assert rows[0][0].number in page.inner_text("#done-orders")
    assert_fits_width(page)
    screenshot(page, "collections-orders")
    order.refresh_from_db()
    assert (order.status, order.field_result, order.completed_on) == ("completed", "done", date(2025, 3, 3))


def test_policy_page_refuses_a_water_penalty_over_ten_percent(page, live_server, browser_data):
    import importlib

    from django.apps import apps

    importlib.import_module("ratepayer.collections.migrations.0002_core").seed_policies(apps, None)
    login(page, live_server, "supervisor")
    nav_to(page, "Collection policy")
    page.goto(live_server.url + "/collections/policy/?scope=water_sewer")
    page.fill("#id_effective_from", (timezone.localdate() + timedelta(days=5)).isoformat())
    page.select_option("#id_service", "water")
    page.fill("#id_late_fee_percent", "12.00")
    page.fill("#id_reason", "Resolution 2026-14")
    page.click("text=Send for approval")
    assert "RCW 57.08.081(3)" in page.inner_text("#policy-form")
    screenshot(page, "collections-policy-refused")
    page.fill("#id_late_fee_percent", "8.00")
    page.click("text=Send for approval")
    page.wait_for_selector("text=sent for approval")
    assert "Resolution 2026-14" in page.inner_text("#pending-policies")
    assert_fits_width(page)
    screenshot(page, "collections-policy")
