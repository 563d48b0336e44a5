"""The top navigation: one line at 1280 and 1024 px with every app, menus usable by keyboard."""

import pytest

from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot

pytestmark = pytest.mark.browser


def _bar_rows(page) -> int:
    return page.evaluate("""() => new Set([...document.querySelectorAll('.mainnav > *')]
        .filter(e => e.offsetParent !== null).map(e => Math.round(e.getBoundingClientRect().top))).size""")


@pytest.mark.parametrize("width", [1280, 1024])
def test_supervisor_navigation_fits_one_line(page, live_server, browser_data, width):
    page.set_viewport_size({"width": width, "height": 800})
    login(page, live_server, "supervisor")
    assert _bar_rows(page) == 1
    assert page.evaluate("document.querySelector('.topbar').offsetHeight") < 100
    assert_fits_width(page)
    page.click("nav.mainnav >> text=Payments")
    screenshot(page, f"nav-supervisor-{width}", full_page=False)
    assert page.is_visible("#navmenu-payments >> text=Bank reconciliation")


def test_menus_work_from_the_keyboard(page, live_server, browser_data):
    login(page, live_server, "supervisor")
    button = page.locator(".navmenu-button", has_text="Billing")
    button.focus()
    assert button.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")  # closes, focus back on the button
    assert page.is_hidden("#navmenu-billing")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Billing"
    page.keyboard.press("ArrowDown")  # opens on the first page
    assert page.evaluate("document.activeElement.textContent").startswith("Bill calendar")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent").startswith("Review queue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/billing/review/")
    # the menu of the page shown is marked, and the page inside it
    assert "current" in page.locator(".navmenu-button", has_text="Billing").get_attribute("class")
    assert page.locator("#navmenu-billing a[aria-current=page]").text_content().startswith("Review queue")
    # a click elsewhere closes an open menu
    page.locator(".navmenu-button", has_text="Payments").click()
    assert page.is_visible("#navmenu-payments")
    page.mouse.click(600, 500)
    assert page.is_hidden("#navmenu-payments")
    # "g" shortcuts reach pages inside menus
    page.keyboard.press("g")
    page.keyboard.press("t")
    page.wait_for_url("**/audit/")


def test_a_menu_of_one_page_is_a_plain_link(page, live_server, browser_data):
    login(page, live_server, "assistant")
    assert page.locator(".navmenu-button", has_text="Administration").count() == 0
    nav_to(page, "Approval limits")
    page.wait_for_url("**/limits/")
    assert _bar_rows(page) == 1
