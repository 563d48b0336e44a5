"""Billing console pages through Django's test client: roles, refusals, results."""

from __future__ import annotations

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


def test_a_run_started_in_the_console_is_billed_by_ratepayer_worker(town, users, django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        # The in-process db_worker closes the connection that holds this test's
        # transaction on PostgreSQL; the worker path is exercised there by the
        # subprocess tests (test_billrun_processes).
        pytest.skip("in-process worker closes the test transaction's connection on PostgreSQL")

    from ratepayer.billing import actions

    with django_capture_on_commit_callbacks(execute=True):
        run = actions.start_bill_run(user=users["specialist"], cycle=town.cycle, period_end=date(2025, 2, 14))
    assert run.status == "planned" and not Bill.objects.exists()  # queued for a worker, nothing billed yet
    call_command("worker", "--max-tasks", "1", "--interval", "0.1")
    run.refresh_from_db()
    assert run.status == "finished" and run.bills_issued == 3
