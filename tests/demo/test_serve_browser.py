"""`ratepayer serve` on a freshly built demo, in a real browser: the printed
logins work, static files are served, search and the account page show the
demo utility, and the screens of its months of history have work on them
(bill runs, the review queue, read exceptions, payment files, drawers)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from ratepayer.demo.builder import DEMO_LOGINS, DEMO_PASSWORD
from tests.demo.conftest import ROOT, command_env, ratepayer

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"


def query(database_url: str, sql: str) -> list[tuple]:
    """Rows from the served demo's own database (SQLite file or PostgreSQL), read
    independently of the server, so the pages are checked against the data."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql).fetchall()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served_demo(scratch_database_url):
    built = ratepayer(scratch_database_url, "demo", "--reset", "--accounts", "60", "--seed", "4", "--months", "3")
    assert built.returncode == 0, built.stderr
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ratepayer.cli", "serve", "--addrport", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=command_env(scratch_database_url), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    banner = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            banner.append(line)
            if "Quit the server with" in line or server.poll() is not None:
                break
        with socket.create_connection(("127.0.0.1", port), timeout=30):
            pass
        yield f"http://127.0.0.1:{port}", "".join(banner), scratch_database_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_served_demo_signs_in_with_printed_logins(served_demo, browser):
    url, banner, database_url = served_demo
    assert f"ratepayer staff console: {url}/" in banner
    for login in DEMO_LOGINS:
        assert f"{login.username:<11} {DEMO_PASSWORD}" in banner
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        static = []
        page.on("response", lambda r: static.append((r.url, r.status)) if "/static/" in r.url else None)
        for username in ("kam", "specialist"):
            page.context.clear_cookies()
            page.goto(url + "/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert "/login/" not in page.url, f"{username} could not sign in with the printed password"
        assert static and all(status in (200, 304) for _, status in static), static
        assert any(u.endswith(".css") for u, _ in static)
        page.goto(url + "/search/?q=garcia&go=0")
        page.screenshot(path=str(ARTIFACTS / "demo-search.png"))
        page.goto(url + "/search/?q=10000016")
        assert page.url.endswith("/accounts/10000016/")
        assert "10000016" in page.locator("body").inner_text()
        page.screenshot(path=str(ARTIFACTS / "demo-account.png"), full_page=True)

        page.context.clear_cookies()
        page.goto(url + "/")
        page.fill("input[name=username]", "supervisor")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        # what the pages must show, from the demo's database: the newest bill runs (the page lists the
        # latest 100 by creation) with their read and bill dates, and the 50 newest payment files
        runs = query(database_url, "SELECT period_end, bill_date FROM billing_billrun ORDER BY created_at DESC, id DESC")
        newest_run = max(str(period_end) for period_end, _ in runs)
        shown_runs = [str(day) for row in runs[:100] for day in row]
        files = [name for (name,) in query(database_url, "SELECT name FROM payments_importedfile "
                                                         "ORDER BY imported_at DESC, id DESC")[:50]]
        assert newest_run in shown_runs and any(n.startswith("lockbox-") for n in files) and \
            any(n.startswith("autopay-") for n in files)
        screens = {
            "/": [],
            "/billing/runs/": [newest_run, *shown_runs, "finished", "$"],
            "/billing/review/": ["read exceptions queue"],
            "/reads/exceptions/": ["usage"],
            "/payments/files/": files,
            "/payments/drawers/": ["Deposited"],
            "/payments/autopay/": ["Active"],
        }
        for path, expected in screens.items():
            response = page.goto(url + path)
            assert response.status == 200, path
            text = page.locator("main").inner_text()
            for snippet in expected:
                assert snippet.lower() in text.lower(), (path, snippet, text[:800])
            page.screenshot(path=str(ARTIFACTS / f"demo{path.replace('/', '-').rstrip('-') or '-home'}.png"),
                            full_page=True)
        assert not errors, errors
    finally:
        page.context.close()
