"""The protections from disconnection in a real browser: a clerk finds the account from
Collections › Protections, sets the premise's weather zone, records a medical notice, a
dispute and a winter-protection request and sees today's decision change; heat-alert days
are entered and imported."""

from __future__ import annotations

import importlib

import pytest
from django.utils import timezone

from ratepayer.collections.models.protections import Dispute, HeatAlert, MedicalCertificate, WinterProtection
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def protect_data(browser_data):
    from django.apps import apps

    importlib.import_module("ratepayer.collections.migrations.0002_core").seed_policies(apps, None)
    return browser_data


def test_a_clerk_records_protections_and_reads_the_decision(page, live_server, protect_data, tmp_path):
    u = protect_data.utility
    today = timezone.localdate()
    login(page, live_server, "specialist")
    nav_to(page, "Protections")
    page.fill("#pr-account", u.account.number)
    page.click("#go-account button[type=submit]")
    assert page.locator("h1").inner_text().startswith("Protections from disconnection")
    assert "no zone: heat alerts cannot be checked" in page.locator("#premises").inner_text()
    screenshot(page, "protections-account-empty")

    page.fill("#premises input[name=zone]", "WAZ558")
    page.click("#premises >> text=Save")
    assert "is in NWS zone WAZ558" in page.locator(".messages").inner_text()

    page.select_option("#md-premise", str(u.premise.pk))
    page.fill("#md-bal", "180.00")
    page.click("#new-medical button[type=submit]")
    assert "Medical emergency recorded" in page.locator(".messages").inner_text()
    assert MedicalCertificate.objects.get().required_payment == 18

    page.click("#new-dispute summary") if not page.locator("#dp-reason").is_visible() else None
    page.fill("#dp-reason", "Read looks high; asks for a re-read")
    page.fill("#dp-amount", "40.00")
    page.click("#new-dispute button[type=submit]")
    assert Dispute.objects.get().status == "open"

    page.click("#new-winter summary") if not page.locator("#wi-on").is_visible() else None
    page.fill("#wi-grantee-new", "Volunteers of America")
    page.click("#new-winter button[type=submit]")
    assert WinterProtection.objects.get().grantee == "Volunteers of America"

    decision = page.locator("#decision").inner_text()
    assert "disconnect decision for today" in decision.lower()
    assert "disconnection allowed" not in decision  # the medical notice's grace, at least, holds it
    page.click("#decision summary")
    assert page.locator("#rules tr").count() >= 10
    assert_fits_width(page)
    screenshot(page, "protections-account")

    # a refusal: a second notice while the first is in effect
    page.click("#new-medical summary")
    page.click("#new-medical button[type=submit]")
    assert "already has a medical certificate in effect" in page.locator(".messages").inner_text()
    assert MedicalCertificate.objects.count() == 1

    # heat-alert days: enter one for today, import a file
    nav_to(page, "Heat-alert days")
    page.fill("#ha-zone", "WAZ558")
    page.fill("#ha-day", today.isoformat())
    page.select_option("#ha-kind", "excessive_heat_warning")
    page.fill("#ha-note", "NWS Seattle")
    page.click("#enter-alert button[type=submit]")
    assert "heat alert in WAZ558" in page.locator("#today-status").inner_text()
    csv = tmp_path / "alerts.csv"
    csv.write_text(f"zone,date,kind\nWAZ507,{today.isoformat()},heat_advisory\nWAZ507,2031-07-02,heat advisory\n")
    page.set_input_files("#ha-file", str(csv))
    page.click("#import-alerts button[type=submit]")
    assert "alerts.csv: 2 alert day(s) read, 2 new." in page.locator(".messages").inner_text()
    assert HeatAlert.objects.count() == 3
    assert_fits_width(page)
    screenshot(page, "protections-heat-alerts")

    # the account's decision now rests on the heat alert
    page.goto(live_server.url + f"/collections/accounts/{u.account.number}/protections/")
    assert "heat_alert" in page.locator("#verdict").inner_text()
    nav_to(page, "Protections")
    assert u.account.number in page.locator("#open-medical").inner_text()
    screenshot(page, "protections-register")
