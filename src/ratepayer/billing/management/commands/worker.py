"""``ratepayer worker``: run a background worker (bill runs, documents, e-mail, imports).

It is django-tasks' database worker under the project's name; start as many as
the machine has cores, on as many machines as the database can serve.

Besides the queued tasks, an idle worker sweeps every ``--sweep-interval``
seconds for work nobody holds: chunks of an unfinished bill run that are
pending or whose claim is older than ``--claim-timeout`` (the worker billing
them was killed), and outgoing e-mail that is due (``ratepayer.outbox``). So a
killed worker's run is finished by the others, and a message whose task was
lost still goes out.

A worker never runs under Django's autoreloader, whatever ``RATEPAYER_DEBUG``
says: the reloader forks a child that goes on working after the PID one
would kill has gone.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from ratepayer.billing import billrun
from ratepayer.outbox import actions as outbox

logger = logging.getLogger("ratepayer.worker")


class SweepingWorker(Worker):
    """django-tasks' worker, with a sweep for abandoned work when idle."""

    def __init__(self, *, sweep_interval: float, claim_timeout: timedelta, parent_pid: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.parent_pid = parent_pid
        self.sweep_interval = sweep_interval
        self.claim_timeout = claim_timeout
        self.last_sweep = float("-inf")

    def sweep(self) -> None:
        if time.monotonic() - self.last_sweep < self.sweep_interval:
            return
        self.running_task = True  # a signal now stops after the sweep, as after a task
        try:
            close_old_connections()
            chunks = billrun.resume_abandoned_runs(self.claim_timeout)
            if chunks:
                logger.warning("worker %s billed %s abandoned chunk(s)", self.worker_id, chunks)
            outbox.deliver_due()
        except Exception:  # the sweep must never stop the worker; the next one tries again
            logger.exception("sweep failed")
        finally:
            self.running_task = False
            self.last_sweep = time.monotonic()
            close_old_connections()

    def run(self) -> None:
        """django-tasks' loop (``Worker.run``), sweeping whenever no task is ready."""
        while self.running:
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                logger.warning("worker %s: the server that started it has gone; stopping", self.worker_id)
                return
            close_old_connections()
            tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name,
                                                        queue_name__in=self.queue_names)
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                except OperationalError as exc:
                    if not is_locked_database_exception(exc):
                        raise
                    task_result = None
            if task_result is not None:
                self.run_task(task_result)
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                self.sweep()
                if self.running:
                    time.sleep(self.interval)


class Command(BaseCommand):
    help = "Run a background task worker (django-tasks database backend) that also resumes abandoned work."

    def add_arguments(self, parser):
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--queue-name", default="default")
        parser.add_argument("--sweep-interval", type=float, default=15.0,
                            help="seconds between sweeps for abandoned bill-run chunks and due e-mail (default 15)")
        parser.add_argument("--claim-timeout", type=float, default=billrun.DEFAULT_CLAIM_TIMEOUT.total_seconds(),
                            help="seconds after which another worker's bill-run chunk claim counts as abandoned "
                                 "(default 300)")
        parser.add_argument("--exit-with-parent", type=int, default=None, metavar="PID",
                            help="stop when process PID (the `ratepayer serve` that started it) is gone")

    def handle(self, *args, **options):
        logging.getLogger("django_tasks_db").setLevel(logging.INFO if options["verbosity"] > 1 else logging.WARNING)
        worker = SweepingWorker(
            queue_names=options["queue_name"].split(","), interval=options["interval"], batch=False,
            backend_name="default", startup_delay=False, max_tasks=options["max_tasks"],
            worker_id=f"ratepayer-{get_random_string(12)}", excluded_queue_names=[],
            sweep_interval=options["sweep_interval"], claim_timeout=timedelta(seconds=options["claim_timeout"]),
            parent_pid=options["exit_with_parent"])
        worker.configure_signals()  # never run_with_reloader: see the module docstring
        worker.run()
