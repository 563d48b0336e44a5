"""Background tasks of billing (django-tasks, database backend). Each is
idempotent and safe to retry: a bill-run task claims chunks, so any number
of them can share a run, and a retried one finds nothing left to do."""

from __future__ import annotations

from django_tasks import task

from . import billrun, documents
from .models import Bill, BillRun


@task()
def work_on_bill_run(run_id: int) -> int:
    """Bill chunks of the run until none is left; returns chunks billed here."""
    return billrun.work_on_run(BillRun.objects.get(pk=run_id))


@task()
def render_bill_documents(run_id: int) -> int:
    """Render every issued bill of a run to PDF and send e-bills (skips done ones).
    One task renders the whole run in its worker process, so the parsed
    stylesheet and fonts stay warm, and loads the bills' data in batches
    (``documents.render_run``)."""
    return documents.render_run(BillRun.objects.get(pk=run_id))


@task()
def send_ebill(bill_id: int) -> bool:
    return documents.send_ebill(Bill.objects.get(pk=bill_id)) is not None
