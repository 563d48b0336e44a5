"""Meter reads in a real browser: read entry with the usage chart, a held read worked
from the exceptions queue, and a route-file upload."""

from datetime import date

import pytest

from ratepayer.metering.actions import ReadInput, load_reads_bulk
from ratepayer.metering.models import ReadException, RegisterRead
from ratepayer.staff.models import AuditEvent
from tests.browser.conftest import login, nav_to, screenshot

pytestmark = pytest.mark.browser


def history(browser_data):
    reads = [ReadInput("E1000123", date(2023, 12, 5), 10000)]
    value = 10000
    for month in range(1, 14):
        y, m = divmod(11 + month, 12)
        day = date(2023 + y, m + 1, 5)
        value += (34 if m + 1 in (1, 2, 12) else 22) * (day - reads[-1].read_date).days
        reads.append(ReadInput("E1000123", day, value))
    load_reads_bulk(reads, user=browser_data.users["specialist"], name="history")
    return value


def test_enter_reads_and_work_the_exception(page, live_server, browser_data):
    last = history(browser_data)
    login(page, live_server, "specialist")
    page.keyboard.press("g")
    page.keyboard.press("m")
    page.wait_for_url("**/reads/")
    page.fill("#find-q", browser_data.utility.account.number)
    page.click("button:has-text('Find')")
    page.wait_for_url("**/reads/meter/E1000123/")
    assert page.locator(".usage-chart rect.bar").count() == 13

    page.fill("#id_read_date", "2025-02-05")
    page.fill("#id_value", str(last + 1050))
    page.click("#save-read")
    page.wait_for_selector(".msg-success")
    assert "1050 kWh since the previous read" in page.inner_text(".msg-success")
    screenshot(page, "reads-meter")

    page.fill("#id_read_date", "2025-03-05")
    page.fill("#id_value", str(last + 1050 + 9400))  # ten times the usual
    page.click("#save-read")
    page.wait_for_selector(".msg-warning")
    assert "held in the read exceptions queue" in page.inner_text(".msg-warning")
    assert "High usage" in page.inner_text(".msg-warning")

    nav_to(page, "Read exceptions")
    page.wait_for_url("**/reads/exceptions/")
    exc = ReadException.objects.get(status="open")
    row = page.locator(f"#exception-{exc.pk}")
    assert "High usage" in row.inner_text()
    screenshot(page, "reads-exceptions")
    row.locator("select").select_option("correct")
    row.locator("button:has-text('Decide')").click()
    page.wait_for_selector("#decide-error")
    assert "Enter the corrected reading" in page.inner_text(f"#exception-{exc.pk}")
    row = page.locator(f"#exception-{exc.pk}")
    row.locator("select").select_option("correct")
    row.locator("input[name$='corrected_value']").fill(str(last + 1050 + 940))
    row.locator("input[name$='note']").fill("misread: extra digit")
    row.locator("button:has-text('Decide')").click()
    page.wait_for_selector(".msg-success")
    assert page.locator("#queue-empty").is_visible()
    assert "misread: extra digit" in page.inner_text("#decided")
    corrected = RegisterRead.objects.get(source="correction")
    assert corrected.consumption == 940 and corrected.status == "valid"
    assert AuditEvent.objects.filter(action="read_exception.correct", user=browser_data.users["specialist"]).exists()
    screenshot(page, "reads-exceptions-done")


def test_route_file_upload_reports_line_and_field(page, live_server, browser_data, tmp_path):
    last = history(browser_data)
    bad = tmp_path / "route-bad.csv"
    bad.write_text(f"meter,read_date,reading\nE1000123,2025-02-05,{last + 900}\nE1000123,2025-13-05,1\nTRAILER,2\n")
    good = tmp_path / "route-good.csv"
    good.write_text(f"meter,read_date,reading\nE1000123,2025-02-05,{last + 900}\nTRAILER,1\n")
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/reads/import/")
    page.set_input_files("#id_file", str(bad))
    page.click("#import-button")
    page.wait_for_selector("#import-problems")
    assert "route-bad.csv, line 3, field read_date" in page.inner_text("#import-problems")
    screenshot(page, "reads-import-rejected")
    assert not RegisterRead.objects.filter(read_date=date(2025, 2, 5)).exists()
    page.set_input_files("#id_file", str(good))
    page.click("#import-button")
    page.wait_for_selector("#import-result")
    assert page.inner_text("#count-reads") == "1"
    screenshot(page, "reads-import")
    page.set_input_files("#id_file", str(good))
    page.click("#import-button")
    page.wait_for_selector("#import-refusal")
    assert "already imported" in page.inner_text("#import-refusal")


def test_assistant_has_no_read_entry(page, live_server, browser_data):
    history(browser_data)
    login(page, live_server, "assistant")
    assert page.locator("nav.mainnav >> text=Read exceptions").count() == 0
    page.goto(live_server.url + "/reads/meter/E1000123/")
    assert page.locator("#read-history").is_visible() and page.locator("#read-form").count() == 0
    response = page.goto(live_server.url + "/reads/exceptions/")
    assert response.status == 403


def test_meter_change_in_the_browser(page, live_server, browser_data):
    from ratepayer.customers.models import Meter

    last = history(browser_data)
    Meter.objects.create(serial_number="E2000555", service="electric", dial_count=6)
    login(page, live_server, "specialist")
    page.goto(live_server.url + "/reads/meter/E1000123/")
    page.click("#change summary")
    page.fill("#id_new_meter", "E2000555")
    page.fill("#id_change_date", "2025-01-20")
    page.fill("#id_out_read", str(last + 450))
    page.fill("#id_in_read", "100")
    screenshot(page, "reads-meter-change")
    page.click("#change-button")
    page.wait_for_url("**/reads/meter/E2000555/")
    assert "replaced by E2000555" in page.inner_text(".msg-success")
    assert "Meter change — in" in page.inner_text("#read-history")
