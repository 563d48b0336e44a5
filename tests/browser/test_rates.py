"""Rate schedules in a real browser: versions side by side, a new version
from a copy through another supervisor's approval, a refused specialist, and
the rate calculator on Snohomish PUD Schedule 7."""

from datetime import date

import pytest

from ratepayer.rates import queries
from ratepayer.rates.actions import load_example_schedules
from ratepayer.rates.models import RateSchedule, RateVersion
from ratepayer.staff import roles
from ratepayer.staff.actions import create_staff_user
from ratepayer.staff.models import ApprovalRequest
from tests.browser.conftest import login, nav_to, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def rates_data(browser_data):
    schedules = load_example_schedules().schedules
    create_staff_user(username="supervisor2", password=PASSWORD, roles=[roles.SUPERVISOR], first_name="Sam",
                      last_name="Checker")
    return schedules


def test_versions_side_by_side_and_a_new_version_through_approval(page, new_page, live_server, rates_data):
    e7 = rates_data["E-7"]
    login(page, live_server, "supervisor")
    nav_to(page, "Rates")
    page.wait_for_url("**/rates/")
    row = page.locator('tr[data-code="E-7"]')
    assert "#" in row.locator(".in-force").inner_text()
    screenshot(page, "rates-schedules")
    row.locator("a").first.click()
    page.wait_for_url("**/rates/E-7/")
    # today the 2026-04-01 rates are in force: shown against the 2025 rates they replaced
    assert "2025-04-01" in page.locator("#left-head").inner_text()
    assert "2026-04-01" in page.locator("#right-head").inner_text()
    changed = page.locator("table.diff tr.replace")
    assert changed.filter(has_text="0.09231").filter(has_text="0.08935").count() == 1
    assert page.locator("table.diff tr.delete").filter(has_text="type: minimum").count() == 1
    screenshot(page, "rates-side-by-side")

    # pick two other versions to compare
    v2023 = queries.version_in_force(e7, date(2023, 6, 1))
    v2024 = queries.version_in_force(e7, date(2024, 6, 1))
    page.select_option("#left", str(v2023.pk))
    page.select_option("#right", str(v2024.pk))
    page.click("#compare button[type=submit]")
    page.wait_for_url(f"**left={v2023.pk}&right={v2024.pk}*")
    assert page.locator("table.diff tr.replace").filter(has_text="0.09822").filter(has_text="0.09527").count() == 1

    # new version from a copy: a typo is named with its line, then fixed and submitted
    page.click("#new-version")
    page.wait_for_url("**/rates/E-7/versions/new/**")
    document = page.input_value("#id_document")
    assert "rate: 0.08935" in document
    page.fill("#id_effective_from", "2027-04-01")
    page.fill("#id_document", document.replace("rate: 0.08935", "rate: 0.091000001"))
    page.fill("#id_notes", "Resolution 2027-04: energy charge to 9.1 cents")
    page.click("text=Save and submit for approval")
    error = page.locator("#document-error").inner_text()
    line = next(n for n, text in enumerate(page.input_value("#id_document").splitlines(), 1) if "0.091000001" in text)
    assert error.startswith(f"line {line}: versions.0.components.1.blocks.0.rate") and "8 decimal places" in error
    assert page.locator(".error-excerpt .bad").inner_text().endswith("- rate: 0.091000001")
    screenshot(page, "rates-new-version-error")
    assert not RateVersion.objects.filter(effective_from=date(2027, 4, 1)).exists()
    page.fill("#id_document", document.replace("rate: 0.08935", "rate: 0.0910"))
    page.click("text=Save and submit for approval")
    page.wait_for_url("**/rates/E-7/?right=*")
    new = RateVersion.objects.get(effective_from=date(2027, 4, 1))
    assert new.status == "pending"
    row = page.locator(f"#version-{new.pk}")
    assert "waiting for approval" in row.inner_text() and row.locator("[data-approve]").count() == 0
    assert page.locator("table.diff tr.replace").filter(has_text="0.08935").filter(has_text="0.091").count() == 1
    screenshot(page, "rates-pending")

    # another supervisor approves it from the approvals inbox
    checker = new_page()
    login(checker, live_server, "supervisor2")
    checker.goto(live_server.url + "/approvals/")
    request = ApprovalRequest.objects.get(kind="rates.version", subject_id=new.pk)
    assert "E-7" in checker.locator(f"#request-{request.pk}").inner_text()
    screenshot(checker, "rates-approval-inbox")
    checker.click(f'[data-approve="{request.pk}"]')
    checker.wait_for_selector("text=approved and carried out")
    new.refresh_from_db()
    assert new.status == "approved" and new.approved_by.username == "supervisor2"

    # in force from its date, not before
    assert queries.version_in_force(e7, date(2027, 3, 31)).effective_from == date(2026, 4, 1)
    assert queries.version_in_force(e7, date(2027, 4, 1)) == new
    page.goto(live_server.url + "/rates/E-7/")
    assert "scheduled" in page.locator(f"#version-{new.pk}").inner_text()
    for on_date, rate in (("2027-03-31", "0.08935"), ("2027-04-01", "0.091")):
        page.goto(live_server.url + "/rates/calculator/")
        page.select_option("#id_schedule", label=str(e7))
        page.fill("#id_on_date", on_date)
        page.fill("#id_quantity", "900")
        page.fill("#id_days", "30")
        page.fill("#id_size_class", "small")
        page.click("text=Calculate")
        energy = page.locator("tr.bill-line", has_text="Energy charge")
        assert energy.locator("td").nth(4).inner_text() == rate
    screenshot(page, "rates-calculator-new-rates")


def test_a_specialist_cannot_create_versions(page, live_server, rates_data):
    before = (RateSchedule.objects.count(), RateVersion.objects.count(), ApprovalRequest.objects.count())
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/rates/E-7/")
    assert page.locator("#new-version").count() == 0 and page.locator("[data-submit]").count() == 0
    response = page.goto(live_server.url + "/rates/E-7/versions/new/")
    assert response.status == 403
    assert "not allowed to draft rate schedule versions" in page.locator(".refused-message").inner_text()
    screenshot(page, "rates-specialist-refused")
    assert (RateSchedule.objects.count(), RateVersion.objects.count(), ApprovalRequest.objects.count()) == before


def test_calculator_shows_schedule_7_line_by_line(page, live_server, rates_data, tmp_path):
    login(page, live_server, "assistant")
    page.keyboard.press("g")
    page.keyboard.press("r")  # g r: Rates
    page.wait_for_url("**/rates/")
    page.click("text=Rate calculator")
    page.wait_for_url("**/rates/calculator/")
    page.select_option("#id_schedule", label=str(rates_data["E-7"]))
    page.fill("#id_on_date", "2025-06-01")
    page.fill("#id_quantity", "900")
    page.fill("#id_days", "30")
    page.click("text=Calculate")
    # no size class: the error says which field and which values the tariff knows
    assert "size_class" in page.locator(".has-error .field-error").inner_text()
    page.fill("#id_size_class", "small")
    page.click("text=Calculate")
    # Schedule 7 from 2025-04-01, 900 kWh over 30 days, small size class:
    #   daily base charge  30 days x $0.32    = $9.60
    #   energy charge     900 kWh x $0.09231 = $83.079 -> $83.08
    #   minimum bill 30 x $0.53 = $15.90 is less, so no minimum line
    #   total                                   $92.68
    lines = page.locator("tr.bill-line")
    assert lines.count() == 2
    cells = [[c.inner_text() for c in lines.nth(i).locator("td").all()] for i in range(2)]
    assert cells == [["fixed", "Daily base charge", "30", "days", "0.32", "$9.60"],
                     ["energy", "Energy charge", "900", "kWh", "0.09231", "$83.08"]]
    assert page.locator("#grand-total").inner_text() == "$92.68"
    screenshot(page, "rates-calculator-schedule-7")

    # a month of hourly interval data, 1 kWh an hour: 720 kWh in June
    csv = tmp_path / "june.csv"
    csv.write_text("start,kwh\n" + "".join(f"2025-06-{d:02d}T{h:02d}:00,1\n" for d in range(1, 31) for h in range(24)))
    page.fill("#id_quantity", "")
    page.set_input_files("#id_intervals", str(csv))
    page.click("text=Calculate")
    assert "june.csv: 720 intervals of 60 minutes" in page.locator("#result-source").inner_text()
    # 30 x $0.32 = $9.60; 720 x $0.09231 = $66.4632 -> $66.46; total $76.06
    assert page.locator("#grand-total").inner_text() == "$76.06"
    screenshot(page, "rates-calculator-intervals")
