"""Benchmark: rate lookups for a bill-run chunk, the rates pages and the calculator.

Creates, in a scratch SQLite file (or the PostgreSQL database given with
--database-url, which must be empty or a scratch one), the Washington example
schedules plus --schedules synthetic schedules with --versions approved
versions each, then measures:

* the schedule list (with --page-schedules schedules, a large utility's
  count) and a schedule page with a side-by-side diff, through Django's
  full request stack: milliseconds and queries;
* ``versions_in_force`` and ``versions_spanning`` for --schedules schedules
  at once (what a bill-run chunk asks): milliseconds and queries;
* the rate calculator: register usage, and a year of 15-minute interval data
  uploaded as CSV (35,040 rows).

Prints one JSON object.

    .venv/bin/python bench/rates.py [--schedules 2000] [--page-schedules 200] [--versions 6] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path


def _configure(args) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-rates-"))
    os.environ["RATEPAYER_VAR_DIR"] = str(scratch)
    os.environ["RATEPAYER_DEBUG"] = "1"  # development keys; also lets us count queries
    os.environ["RATEPAYER_ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("RATEPAYER_TESTING", None)
    os.environ["RATEPAYER_DATABASE_URL"] = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()


def _timed(fn, repeat: int) -> dict:
    from django.db import connection, reset_queries

    fn()  # warm
    times, queries = [], []
    for _ in range(repeat):
        reset_queries()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        queries.append(len(connection.queries))
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2),
            "queries": max(queries)}


def _synthetic(first: int, count: int, versions: int) -> list[int]:
    from ratepayer import rating
    from ratepayer.rates import documents
    from ratepayer.rates.models import RateSchedule, RateVersion

    base = rating.load_tariff("snopud_schedule_7.yaml")
    single = documents.stored_document(base.model_copy(update={"versions": [base.versions[-1]]}))
    schedules = RateSchedule.objects.bulk_create(
        [RateSchedule(code=f"B-{i:05d}", name=f"Bench schedule {i}", service="electric")
         for i in range(first, first + count)],
        batch_size=2000)
    rows = [RateVersion(schedule=s, effective_from=date(2020 + k, 4, 1), document=single, status="approved")
            for s in schedules for k in range(versions)]
    RateVersion.objects.bulk_create(rows, batch_size=2000)
    return [s.pk for s in schedules]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=2000)
    parser.add_argument("--page-schedules", type=int, default=200)
    parser.add_argument("--versions", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    _configure(args)

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from ratepayer.rates import queries
    from ratepayer.rates.actions import load_example_schedules
    from ratepayer.staff import roles
    from ratepayer.staff.actions import create_staff_user

    settings.DEBUG = True
    call_command("migrate", verbosity=0)
    examples = load_example_schedules().schedules
    page_ids = _synthetic(0, max(0, args.page_schedules - len(examples)), args.versions)
    page_ids += [s.pk for s in examples.values()]
    user = create_staff_user(username="bench-supervisor", password="bench-password-123", roles=[roles.SUPERVISOR])
    client = Client()
    client.force_login(user)
    e7 = examples["E-7"]
    v2025 = queries.version_in_force(e7, date(2025, 6, 1))
    v2026 = queries.version_in_force(e7, date(2026, 6, 1))

    def ok(response):
        if response.status_code != 200:
            errors = response.context["form"].errors if response.context else response.content[:300]
            raise SystemExit(f"{response.status_code}: {errors}")

    year = ["start,kwh"]  # UTC instants: local wall-clock times skip an hour in March
    t = datetime(2025, 1, 1, 8)
    while t < datetime(2026, 1, 1, 8):
        year.append(f"{t:%Y-%m-%dT%H:%M}Z,0.{(t.hour * 7 + t.minute) % 97:02d}")
        t += timedelta(minutes=15)
    year_csv = ("\n".join(year) + "\n").encode()

    pages = {
        "schedule_list_page": _timed(lambda: ok(client.get("/rates/")), args.repeat),
        "schedule_page_side_by_side": _timed(
            lambda: ok(client.get(f"/rates/E-7/?left={v2025.pk}&right={v2026.pk}")), args.repeat),
        "calculator_register": _timed(lambda: ok(client.post("/rates/calculator/", {
            "schedule": e7.pk, "on_date": "2025-06-01", "quantity": "900", "days": "30", "size_class": "small"})),
            args.repeat),
        "calculator_year_of_15_minute_csv": _timed(lambda: ok(client.post("/rates/calculator/", {
            "schedule": e7.pk, "on_date": "2025-06-01", "size_class": "small",
            "intervals": SimpleUploadedFile("year.csv", year_csv, content_type="text/csv")})), max(3, args.repeat // 4)),
    }
    ids = page_ids + _synthetic(len(page_ids), max(0, args.schedules - len(page_ids)), args.versions)
    lookups = {
        "versions_in_force": _timed(lambda: queries.versions_in_force(ids, date(2024, 6, 1)), args.repeat),
        "versions_spanning": _timed(lambda: queries.versions_spanning(ids, date(2023, 3, 15), date(2023, 4, 14)),
                                    args.repeat),
    }
    print(json.dumps({
        "benchmark": "rates",
        "database": connection.vendor,
        "pages": {"schedules": len(page_ids), "interval_rows": len(year) - 1, **pages},
        "chunk_lookups": {"schedules": len(ids), "approved_versions_per_schedule": args.versions, **lookups},
        "python": platform.python_version(),
        "machine": platform.machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
