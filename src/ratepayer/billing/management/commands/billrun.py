"""``ratepayer billrun --cycle C --period-end YYYY-MM-DD [--workers N]``

Plans the run (or finds the existing one), bills its chunks in N processes,
prints progress, and exits 0 when every chunk is done. Killed and started
again, it takes over the abandoned chunk and finishes; run again after it
finished, it bills nobody. ``--format json`` prints the run's counts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from ratepayer.billing import billrun
from ratepayer.billing.errors import BillingError
from ratepayer.billing.models import BillRun
from ratepayer.customers.models import BillCycle


class Command(BaseCommand):
    help = "Bill one cycle for one scheduled read date (period end)."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", required=True, help="bill cycle code, e.g. 01")
        parser.add_argument("--period-end", required=True, help="scheduled read date, YYYY-MM-DD")
        parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
        parser.add_argument("--chunk-accounts", type=int, default=billrun.DEFAULT_CHUNK_ACCOUNTS)
        parser.add_argument("--claim-timeout", type=float, default=billrun.DEFAULT_CLAIM_TIMEOUT.total_seconds(),
                            help="seconds after which a chunk claimed by a silent worker is taken over")
        parser.add_argument("--work-only", action="store_true", help="(internal) bill chunks of a planned run")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        try:
            cycle = BillCycle.objects.get(code=options["cycle"])
        except BillCycle.DoesNotExist:
            codes = ", ".join(BillCycle.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"--cycle: no bill cycle {options['cycle']!r} (cycles: {codes})") from None
        try:
            period_end = date.fromisoformat(options["period_end"])
        except ValueError:
            raise CommandError(f"--period-end: {options['period_end']!r} is not a date (YYYY-MM-DD)") from None
        if options["workers"] < 1:
            raise CommandError("--workers: at least 1")
        timeout = timedelta(seconds=options["claim_timeout"])
        if options["work_only"]:
            run = BillRun.objects.get(cycle=cycle, period_end=period_end)
            billrun.work_on_run(run, claim_timeout=timeout)
            return
        try:
            run = billrun.plan_run(cycle=cycle, period_end=period_end, chunk_accounts=options["chunk_accounts"])
        except BillingError as exc:
            raise CommandError(str(exc)) from exc
        text = options["format"] == "text"
        started = time.monotonic()
        if text:
            self.stdout.write(f"Bill run {cycle.code} {period_end}: {run.chunks_total - run.chunks_done} chunk(s) to bill, "
                              f"bill date {run.bill_date}, due {run.due_date}")
        if options["workers"] == 1:
            billrun.work_on_run(run, claim_timeout=timeout, on_chunk=(lambda c: self._progress(run)) if text else None)
        else:
            argv = [sys.executable, "-m", "ratepayer.cli", "billrun", "--cycle", cycle.code,
                    "--period-end", period_end.isoformat(), "--work-only", "--claim-timeout", str(options["claim_timeout"])]
            procs = [subprocess.Popen(argv) for _ in range(options["workers"])]
            while any(p.poll() is None for p in procs):
                time.sleep(1)
                if text:
                    self._progress(run)
            failed = [p.returncode for p in procs if p.returncode]
            if failed:
                raise CommandError(f"{len(failed)} worker(s) failed (exit {failed}); run the command again to resume")
            billrun.finish_if_done(run)
        run.refresh_from_db()
        if options["format"] == "json":
            self.stdout.write(json.dumps({
                "run": run.pk, "cycle": cycle.code, "period_end": period_end.isoformat(), "status": run.status,
                "accounts_due": run.accounts_due, "bills_issued": run.bills_issued, "bills_held": run.bills_held,
                "amount_issued": str(run.amount_issued), "chunks_done": run.chunks_done,
                "chunks_total": run.chunks_total, "seconds": round(time.monotonic() - started, 3)}))
        else:
            self.stdout.write(f"{run.get_status_display()}: {run.bills_issued} bills issued "
                              f"({run.amount_issued}), {run.bills_held} held for review, "
                              f"{time.monotonic() - started:.1f} s")

    def _progress(self, run: BillRun) -> None:
        run.refresh_from_db()
        self.stdout.write(f"  {run.chunks_done}/{run.chunks_total} chunks, {run.bills_issued} issued, "
                          f"{run.bills_held} held")
        self.stdout.flush()


