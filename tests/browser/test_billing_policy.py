"""The billing policy page in a real browser: a supervisor adds a policy from a
future date through the Billing menu; a specialist reads the list, has no form."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from ratepayer.billing.models import BillingPolicy
from ratepayer.staff.models import AuditEvent
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded_policy(browser_data):
    # seeded by a migration; transactional tests flush it
    importlib.import_module("ratepayer.billing.migrations.0004_default_policy").seed(apps, None)
    return BillingPolicy.objects.get()


def test_supervisor_adds_a_policy_from_a_future_date(page, live_server, seeded_policy):
    login(page, live_server, "supervisor")
    nav_to(page, "Billing policy")
    page.wait_for_url("**/billing/policy/")
    assert page.locator("#policies tbody.policy").count() == 1
    assert "in force" in page.inner_text(f"#policy-{seeded_policy.effective_from:%Y-%m-%d}")

    starts = timezone.localdate() + timedelta(days=10)
    page.fill("#id_effective_from", timezone.localdate().isoformat())  # today: refused
    page.click("text=Add policy")
    assert "starts tomorrow" in page.inner_text(".form-errors")
    assert BillingPolicy.objects.count() == 1

    page.fill("#id_effective_from", starts.isoformat())
    page.fill("#id_high_bill_percent", "75")
    page.fill("#id_max_consecutive_estimates", "2")
    page.fill("#id_bill_message", "Our offices close on Veterans Day.")
    page.click("text=Add policy")
    page.wait_for_selector("text=added")
    row = page.inner_text(f"#policy-{starts:%Y-%m-%d}")
    assert "scheduled" in row and "75.00" in row and "Veterans Day" in row and "Supervisor" in row
    assert_fits_width(page)
    screenshot(page, "billing-policy")
    policy = BillingPolicy.objects.get(effective_from=starts)
    assert policy.max_consecutive_estimates == 2 and policy.days_to_bill == seeded_policy.days_to_bill
    assert AuditEvent.objects.filter(action="billing_policy.set", object_id=str(policy.pk)).exists()


def test_specialist_reads_the_policies_without_a_form(page, live_server, seeded_policy):
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/billing/policy/")
    assert page.locator("#policies tbody.policy").count() == 1
    assert page.locator("text=Add policy").count() == 0
