"""Browser-test fixtures: Playwright driving Debian's chromium against Django's live server.

Use them in any ``tests/browser/test_*.py``::

    import pytest
    from tests.browser.conftest import login, screenshot

    pytestmark = pytest.mark.browser

    def test_my_screen(page, live_server, browser_data):
        login(page, live_server, "specialist")          # any key of tests.factories.ROLE_USERS
        page.goto(live_server.url + "/billing/runs/")
        screenshot(page, "billing-runs")                # test-artifacts/billing-runs.png — look at it
        ...

Fixtures
--------
``browser`` (session)
    One chromium (``/usr/bin/chromium``, ``--no-sandbox --disable-gpu
    --disable-background-networking --disable-component-update --disable-sync``),
    headless, shared by every browser test.
``page`` (function)
    A fresh browser context (its own cookies) at 1280×800 with one page. Every
    console error is collected; the test fails if the page broke the content
    security policy or raised a JavaScript error (``page.console_errors``).
``browser_data`` (function)
    ``BrowserData(users, utility)``: the staff users per role (password
    ``tests.factories.PASSWORD``) and the small utility of ``tests.factories``,
    written through the live database. It also re-seeds what migrations seed
    (roles and limits, chart of accounts and posting rules, adjustment reasons),
    because ``live_server`` needs ``transactional_db``, which flushes the
    database after each test.
``new_page`` (function)
    ``new_page()`` opens a second, independent session (another person at
    another desk), e.g. maker and approver side by side.

Helpers
-------
``login(page, live_server, username)`` signs in through the login form and
waits for the start page. ``nav_to(page, label)`` follows a main-navigation
link, opening its menu first when it sits in one. ``screenshot(page, name)`` saves a full-page PNG in
``test-artifacts/``. ``assert_fits_width(page)`` fails if the page scrolls
sideways at 1280 px.

Playwright's sync API runs an event loop in the test thread, so Django's
async-safety check is switched off for these tests (DJANGO_ALLOW_ASYNC_UNSAFE);
the ORM calls in a test still run in that one thread, in order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (the `browser` fixture is in tests/conftest.py)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

VIEWPORT = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server():
    """The live server speaks plain HTTP; production settings insist on HTTPS
    (redirect, secure cookies). Set before the live server starts, because
    Django reads them when it builds its middleware."""
    from django.test import override_settings

    override = override_settings(SECURE_SSL_REDIRECT=False, SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False,
                                 SECURE_HSTS_SECONDS=0)
    override.enable()
    yield
    override.disable()


def _open_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="America/Los_Angeles")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.console_errors.append(f"JavaScript error: {exc}"))
    return context, page


def _broken(page) -> list[str]:
    # 403 responses are expected in refusal tests; the browser logs them as errors.
    return [e for e in page.console_errors if "status of 403" not in e and "status of 400" not in e]


@pytest.fixture
def page(browser):
    context, page = _open_page(browser)
    yield page
    errors = _broken(page)
    context.close()
    assert not errors, f"the page logged errors (content security policy or JavaScript): {errors}"


@pytest.fixture
def new_page(browser):
    opened = []

    def open_another():
        context, another = _open_page(browser)
        opened.append((context, another))
        return another

    yield open_another
    errors = [e for _, p in opened for e in _broken(p)]
    for context, _ in opened:
        context.close()
    assert not errors, f"the page logged errors (content security policy or JavaScript): {errors}"


@dataclass
class BrowserData:
    users: dict
    utility: factories.SmallUtility


def seed_reference_data() -> None:
    """What the migrations seed, again (idempotent): flushes remove it."""
    factories.reference_data()


@pytest.fixture
def browser_data(transactional_db, live_server) -> BrowserData:
    seed_reference_data()
    users = factories.staff_users()
    return BrowserData(users=users, utility=factories.small_utility(users["specialist"]))


def login(page, live_server, username: str, password: str = factories.PASSWORD, *, expect_home: bool = True) -> None:
    """Sign in through the login form as ``username``."""
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    if expect_home:
        page.wait_for_selector("text=Sign out")


def nav_to(page, label: str) -> None:
    """Follow the main navigation's link named ``label``, opening its menu first
    when it sits in one."""
    link = page.locator("nav.mainnav a", has_text=label).first
    if not link.is_visible():
        menu = page.locator("[data-navmenu]", has=page.locator("a", has_text=label)).first
        menu.locator(".navmenu-button").click()
    link.click()


def assert_fits_width(page) -> None:
    """The page works at 1280 px without scrolling sideways."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {VIEWPORT['width']}px"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
