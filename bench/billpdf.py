"""Benchmark: bill PDFs (WeasyPrint) rendered one at a time and for a whole run.

Builds a small synthetic utility (``ratepayer.demo.synthetic``) in a fresh
database — a scratch SQLite file by default, or a new database on the
PostgreSQL server of --database-url (dropped after) — and bills it for 13
months through the real bill run, so every bill has a full usage history.
Then, in this one warm process, it renders the last month's bills through
``documents.render_pdf`` (what the console's "PDF" link and the e-bill use)
and the whole run through ``documents.render_run`` (the background task).

Prints one JSON object: bills rendered, first render (cold process, includes
importing WeasyPrint and loading fonts), p50/p95/max ms per bill warm,
CPU ms per bill (process time: what the render costs whatever the machine's
load), queries per bill, the run task's ms per bill and queries, pages,
database vendor and the load average before and after (the machine is shared).

    .venv/bin/python bench/billpdf.py [--accounts 40] [--renders 100] [--database-url URL] [--profile]

--profile prints the top cProfile entries of the warm renders to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CYCLE = "P1"
FIRST_READ = date(2024, 1, 14)
MONTHS = 13


def _configure(url: str, media: Path) -> None:
    os.environ["RATEPAYER_DEBUG"] = "0"
    os.environ["RATEPAYER_SECRET_KEY"] = "bench-billpdf-secret-key-not-for-production-0123456789"
    os.environ["RATEPAYER_FIELD_ENCRYPTION_KEY"] = "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE="
    os.environ.pop("RATEPAYER_TESTING", None)
    os.environ["RATEPAYER_DATABASE_URL"] = url
    os.environ["RATEPAYER_MEDIA_ROOT"] = str(media)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = str(media)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # paperless bills: no real mail


def _fresh_database(url: str | None) -> tuple[str, callable]:
    if not url or url.startswith("sqlite"):
        scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-billpdf-"))
        return f"sqlite:///{scratch / 'bench.sqlite3'}", lambda: shutil.rmtree(scratch, ignore_errors=True)
    import dj_database_url
    import psycopg

    parts = dj_database_url.parse(url)
    name = f"bench_billpdf_{os.getpid()}"
    admin = dict(host=parts["HOST"], port=parts["PORT"] or 5432, user=parts["USER"],
                 password=parts["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}", drop


def _month(day: date, months: int) -> date:
    m = day.month - 1 + months
    return day.replace(year=day.year + m // 12, month=m % 12 + 1)


def build_year_of_bills(accounts: int):
    """The synthetic utility billed monthly for 13 months; returns the last run."""
    from django.contrib.auth import get_user_model

    from ratepayer.billing import billrun
    from ratepayer.demo import synthetic
    from ratepayer.metering.actions import load_reads_bulk
    from ratepayer.metering.models import RegisterRead

    built = synthetic.build(accounts=accounts, cycle_code=CYCLE, start=FIRST_READ, period_end=_month(FIRST_READ, 1))
    user = get_user_model().objects.get(username__startswith="reader-")
    rng = random.Random(11)
    run = None
    for n in range(1, MONTHS + 1):
        read_date = _month(FIRST_READ, n)
        if n > 1:
            latest = {}
            for serial, value in (RegisterRead.objects.order_by("read_date")
                                  .values_list("meter__serial_number", "value")):
                latest[serial] = value
            season = 1.6 if read_date.month in (12, 1, 2) else 0.8 if read_date.month in (6, 7, 8) else 1.0
            rows = [{"meter": s, "read_date": read_date,
                     "value": v + Decimal(int(rng.randrange(350, 1400) * season) if s[0] == "E"
                                          else rng.randrange(3, 18))} for s, v in latest.items()]
            load_reads_bulk(rows, user=user, name=f"bench month {n}", validate=False)
        run = billrun.plan_run(cycle=built.cycle, period_end=read_date)
        billrun.work_on_run(run)
    return run


def _pages(pdf: bytes) -> int | None:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        try:
            info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    return next((int(line.split()[1]) for line in info.splitlines() if line.startswith("Pages:")), None)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--renders", type=int, default=100, help="warm renders timed one at a time")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--save-pdf", metavar="PATH", help="also write the bill with the most services to PATH")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    url, drop = _fresh_database(args.database_url)
    media = Path(tempfile.mkdtemp(prefix="ratepayer-bench-billpdf-media-"))
    try:
        _configure(url, media)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", "--no-input", verbosity=0)
        started = time.monotonic()
        run = build_year_of_bills(args.accounts)
        build_seconds = time.monotonic() - started

        from ratepayer.billing.models import Bill

        bills = list(Bill.objects.filter(run=run, status=Bill.Status.ISSUED).order_by("pk"))
        counter = QueryCounter()
        started = time.perf_counter()
        from ratepayer.billing import documents

        with connection.execute_wrapper(counter):
            first_pdf = documents.render_pdf(bills[0])
        first_ms = (time.perf_counter() - started) * 1000
        if args.save_pdf:
            from django.db.models import Count

            fullest = max(Bill.objects.filter(pk__in=[b.pk for b in bills]).annotate(n=Count("segments")),
                          key=lambda b: (b.n, -b.pk))
            Path(args.save_pdf).write_bytes(documents.render_pdf(fullest))

        timings, cpu_timings, queries = [], [], []
        profile = cProfile.Profile() if args.profile else None
        for i in range(args.renders):
            bill = bills[i % len(bills)]
            counter.count = 0
            if profile:
                profile.enable()
            started, cpu_started = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(counter):
                documents.render_pdf(bill)
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.process_time() - cpu_started) * 1000)
            if profile:
                profile.disable()
            queries.append(counter.count)

        counter.count = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(counter):
            rendered = documents.render_run(run)
        run_ms = (time.perf_counter() - started) * 1000
        run_cpu_ms = (time.process_time() - cpu_started) * 1000
        timings.sort()
        cpu_timings.sort()
        pages = _pages(first_pdf)
        print(json.dumps({
            "accounts": args.accounts, "bills_rendered": len(timings), "distinct_bills": len(bills),
            "first_render_ms": round(first_ms, 1),
            "warm_ms_p50": round(statistics.median(timings), 1),
            "warm_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 1),
            "warm_ms_max": round(timings[-1], 1),
            "cpu_ms_p50": round(statistics.median(cpu_timings), 1),
            "cpu_ms_p95": round(cpu_timings[int(len(cpu_timings) * 0.95) - 1], 1),
            "queries_per_bill": max(queries),
            "run_task_bills": rendered, "run_task_ms_per_bill": round(run_ms / max(rendered, 1), 1),
            "run_task_cpu_ms_per_bill": round(run_cpu_ms / max(rendered, 1), 1),
            "run_task_queries": counter.count,
            "pdf_kb": round(len(first_pdf) / 1024, 1), "pages": pages,
            "build_seconds": round(build_seconds, 1), "database": connection.vendor,
            "loadavg_before": load_before, "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        }))
        if profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(int(os.environ.get("PROFILE_LINES", "45")))
            print(out.getvalue(), file=sys.stderr)
    finally:
        from django.db import connections

        connections.close_all()
        drop()
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
