"""Staff administration in a real browser: a supervisor adds a user through the
Administration menu, the new person signs in with the one-time password and
changes it; the supervisor deactivates them; a specialist is refused."""

import pytest
from django.contrib.auth import get_user_model

from ratepayer.staff import roles
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot

pytestmark = pytest.mark.browser


def test_supervisor_adds_a_user_who_signs_in_then_is_deactivated(page, live_server, browser_data, new_page):
    login(page, live_server, "supervisor")
    nav_to(page, "Staff")
    page.wait_for_url("**/staff/")
    assert page.locator("#staff-list tbody tr").count() == len(browser_data.users)
    page.fill("#id_username", "mlopez")
    page.fill("#id_first_name", "María")
    page.fill("#id_last_name", "López")
    page.select_option("#id_role", roles.ASSISTANT)
    page.click("text=Add user")
    password = page.inner_text(".temporary-password").strip()
    assert len(password) == 19
    assert_fits_width(page)
    screenshot(page, "staff-user-created")

    newcomer = new_page()
    login(newcomer, live_server, "mlopez", password)
    newcomer.click("text=Change password")
    newcomer.fill("#id_old_password", password)
    newcomer.fill("#id_new_password1", "Larch-Meadow-2291")
    newcomer.fill("#id_new_password2", "Larch-Meadow-2291")
    newcomer.click("#password-change button[type=submit]")
    newcomer.wait_for_selector("text=Your password is changed")

    page.fill("#id_reason", "left the utility")
    page.click("text=Deactivate")
    page.wait_for_selector("h1 >> text=deactivated")
    assert "user.deactivated" in page.inner_text("#staff-events")
    assert not get_user_model().objects.get(username="mlopez").is_active
    newcomer.reload()
    assert "/login/" in newcomer.url  # their session ended

    page.goto(live_server.url + "/staff/")
    screenshot(page, "staff-list")
    assert "deactivated" in page.inner_text("#staff-mlopez")


def test_specialist_is_refused(page, live_server, browser_data):
    login(page, live_server, "specialist")
    assert page.locator("nav.mainnav a", has_text="Staff").count() == 0
    response = page.goto(live_server.url + "/staff/")
    assert response.status == 403
    assert "not allowed to administer staff users" in page.inner_text("main")
