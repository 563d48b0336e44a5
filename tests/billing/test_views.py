"""Billing console pages through Django's test client: roles, refusals, results;
and a run started in the console and billed by a worker, in real processes."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from ratepayer.billing.models import Bill, BillRun
from ratepayer.staff.models import AuditEvent
from tests.billing.test_billrun import run_cycle
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _plain_http(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_calendar_shows_cycles_with_read_bill_and_due_dates(client, town, users):
    run_cycle(town.cycle, date(2025, 2, 14))
    page = login(client, users["assistant"]).get("/billing/?year=2025")
    html = page.content.decode()
    assert page.status_code == 200 and "Cycle calendar 2025" in html
    assert 'data-read="2025-02-14"' in html and "3 bills" in html
    assert 'data-read="2025-06-13"' in html  # 14 June 2025 is a Saturday: read the Friday before
    assert "Start run" not in html  # an assistant does not start runs


def test_starting_a_run_bills_the_cycle(client, town, users, immediate_tasks, django_capture_on_commit_callbacks):
    login(client, users["specialist"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/billing/runs/start", {"cycle": town.cycle.code, "period_end": "2025-02-14"})
    run = BillRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/billing/runs/{run.pk}/"
    run.refresh_from_db()
    assert run.status == "finished" and run.bills_issued == 3
    progress = client.get(f"/billing/runs/{run.pk}/progress")
    assert progress["HX-Trigger"] == "run-finished" and "hx-get" not in progress.content.decode()
    assert AuditEvent.objects.filter(action="billrun.started").exists()


def test_starting_a_run_is_refused_to_an_assistant_and_changes_nothing(client, town, users):
    response = login(client, users["assistant"]).post("/billing/runs/start", {"cycle": town.cycle.code,
                                                                              "period_end": "2025-02-14"})
    assert response.status_code == 403 and "not allowed" in response.content.decode()
    assert not BillRun.objects.exists()


def test_bad_period_end_is_named_and_nothing_starts(client, town, users):
    response = login(client, users["specialist"]).post("/billing/runs/start", {"cycle": town.cycle.code,
                                                                               "period_end": "14/02/2025"}, follow=True)
    assert "Period end: enter the scheduled read date as YYYY-MM-DD" in response.content.decode()
    assert not BillRun.objects.exists()


def test_review_queue_release_and_bill_page(client, town, users, fake_usage, settings):
    electric = town.agreements[town.accounts[0].pk]["electric"]
    fake_usage[electric.pk] = {"quantity": Decimal("0")}
    run_cycle(town.cycle, date(2025, 2, 14))
    held = Bill.objects.get(status="held")
    login(client, users["specialist"])
    queue = client.get("/billing/review/").content.decode()
    assert "Electric: zero usage on an active service" in queue and f'data-release="{held.pk}"' in queue
    client.post(f"/billing/review/{held.pk}", {"decision": "release", "note": "vacant house"})
    held.refresh_from_db()
    assert held.status == "issued"
    page = client.get(f"/billing/bills/{held.pk}/").content.decode()
    assert "Cancel and rebill" in page and "Daily base charge" in page and "vacant house" not in page
    pdf = client.get(f"/billing/bills/{held.pk}/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(f"/billing/bills/{held.pk}/pdf").content == pdf.content  # kept, not rendered again
    assert len(list(settings.MEDIA_ROOT.rglob("bill-*.pdf"))) == 1


def test_cancel_rebill_from_the_bill_page(client, town, users, fake_usage):
    electric = town.agreements[town.accounts[0].pk]["electric"]
    fake_usage[electric.pk] = {"quantity": Decimal("300")}
    run_cycle(town.cycle, date(2025, 2, 14))
    bill = Bill.objects.get(account=town.accounts[0])
    fake_usage[electric.pk] = {"quantity": Decimal("200")}
    response = login(client, users["specialist"]).post(f"/billing/bills/{bill.pk}/cancel-rebill",
                                                        {"reason": "misread"})
    new = Bill.objects.get(corrects=bill)
    assert response["Location"] == f"/billing/bills/{new.pk}/"
    page = client.get(f"/billing/bills/{new.pk}/").content.decode()
    assert f"Corrects bill <a href=\"/billing/bills/{bill.pk}/\">{bill.pk}</a>" in page


def test_print_file_download(client, town, users):
    run = run_cycle(town.cycle, date(2025, 2, 14))
    response = login(client, users["assistant"]).get(f"/billing/runs/{run.pk}/print-file")
    assert response.status_code == 200 and response.content.decode().count("\r\n") == 4


SEED_CONSOLE_RUN = """
import django; django.setup()
from datetime import date
from ratepayer.demo import synthetic
from ratepayer.staff import roles
from ratepayer.staff.actions import create_staff_user
create_staff_user(username="specialist", password={password!r}, roles=[roles.SPECIALIST])
synthetic.build(accounts=4, cycle_code="W1", seed=5, start=date(2025, 1, 14), period_end=date(2025, 2, 14),
                with_reads=False)
"""


@pytest.mark.browser
def test_a_run_started_in_the_console_is_billed_by_ratepayer_worker(tmp_path, browser):
    """The whole path in real processes, on SQLite and PostgreSQL alike: the
    console (``ratepayer serve``) queues the run, ``ratepayer worker`` bills it.
    Both run on a database of their own, because neither the in-memory SQLite
    test database nor this test's PostgreSQL transaction is visible to another
    process."""
    import socket
    import subprocess
    import sys

    from tests.billing.test_billrun_processes import RATEPAYER, ROOT, Database

    database = Database(tmp_path, "console_worker")
    # usage from the metering stand-in, as in the rest of these billing tests
    database.env["DJANGO_SETTINGS_MODULE"] = "tests.billing.settings_fake_usage"
    try:
        database.ratepayer("migrate", "--no-input", "-v", "0")
        subprocess.run([sys.executable, "-c", SEED_CONSOLE_RUN.format(password=PASSWORD)], env=database.env, cwd=ROOT,
                       check=True, timeout=300)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([*RATEPAYER, "serve", "--addrport", f"127.0.0.1:{port}"], env=database.env,
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            for line in server.stdout:
                if "Quit the server with" in line:
                    break
            assert server.poll() is None, "ratepayer serve did not start"
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            url = f"http://127.0.0.1:{port}"
            page.goto(url + "/login/")
            page.fill("#id_username", "specialist")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("text=Sign out")
            page.goto(url + "/billing/?year=2025")
            page.select_option("#run-cycle", "W1")
            page.fill("#run-period-end", "2025-02-14")
            page.click("#start-run button[type=submit]")
            page.wait_for_url("**/billing/runs/*/")
            run_url = page.url
        finally:
            server.terminate()
            server.wait(timeout=30)

        run_id = int(run_url.rstrip("/").rsplit("/", 1)[1])
        assert database.query(f"SELECT status FROM billing_billrun WHERE id = {run_id}") == [("planned",)]
        assert database.query("SELECT COUNT(*) FROM billing_bill") == [(0,)]  # queued for a worker, nothing billed

        worker = subprocess.Popen([*RATEPAYER, "worker", "--interval", "0.2"], env=database.env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 300
            status = "planned"
            while time.monotonic() < deadline and worker.poll() is None:
                status = database.query(f"SELECT status FROM billing_billrun WHERE id = {run_id}")[0][0]
                if status in ("finished", "failed"):
                    break
                time.sleep(0.2)
            assert status == "finished", f"run {status}; worker: {worker.stderr.read() if worker.poll() else ''}"
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        bills = database.query("SELECT COUNT(*), COUNT(DISTINCT account_id), SUM(current_charges) FROM billing_bill "
                               f"WHERE run_id = {run_id} AND status = 'issued'")[0]
        assert bills[0] == bills[1] == 4 and Decimal(str(bills[2])) > 0
        assert database.query(f"SELECT bills_issued FROM billing_billrun WHERE id = {run_id}") == [(4,)]
        entries = database.query("SELECT COUNT(*) FROM ledger_journalentry WHERE idempotency_key LIKE 'bill:%'")
        assert entries == [(4,)]
    finally:
        database.drop()
