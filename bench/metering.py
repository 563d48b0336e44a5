"""Benchmark: meter reads and interval storage.

In a scratch SQLite file (or the PostgreSQL database given with --database-url, which
must be an empty or scratch database) it builds N electric service points with meters
and agreements, then measures:

* register reads — ``load_reads_bulk`` of a year of monthly reads for every meter, a
  route-file import of one month, and ``usage_for_billing`` for a bill-run chunk
  (including the estimated reads it writes for meters with no read);
* interval storage — a year of hourly data for M meters stored as packed day rows
  (``IntervalDay``: the chosen layout) and, for comparison, as one row per interval in
  a scratch table with a (meter, start) index; rows, bytes on disk (SQLite) and the
  time to read one month for all M meters with one query.

Prints one JSON object.

    .venv/bin/python bench/metering.py [--meters 3000] [--interval-meters 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path


def _configure(args) -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-metering-"))
    os.environ["RATEPAYER_VAR_DIR"] = str(scratch)
    os.environ["RATEPAYER_DEBUG"] = "1"
    os.environ.pop("RATEPAYER_TESTING", None)
    os.environ["RATEPAYER_DATABASE_URL"] = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    return scratch


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, round(time.perf_counter() - start, 3)


def _build(n: int, prefix: str, kind: str):
    from datetime import date

    from ratepayer.customers.models import (
        Account,
        BillCycle,
        Customer,
        Meter,
        MeterInstallation,
        Premise,
        ServiceAgreement,
        ServicePoint,
    )
    from ratepayer.rates.models import RateSchedule

    cycle, _ = BillCycle.objects.get_or_create(code="B1", defaults={"name": "Bench", "read_day": 5})
    schedule, _ = RateSchedule.objects.get_or_create(code="E-BENCH", defaults={"name": "Bench", "service": "electric"})
    customer = Customer.objects.create(name=f"Bench {prefix}")
    accounts = Account.objects.bulk_create([
        Account(number=f"{prefix}{i:07d}", customer=customer, mailing_line1="1 Main", mailing_city="Everett",
                mailing_zip="98201", opened_on=date(2023, 1, 1)) for i in range(n)], batch_size=2000)
    premises = Premise.objects.bulk_create([Premise(line1=f"{i} Main", city="Everett", zip="98201") for i in range(n)],
                                           batch_size=2000)
    points = ServicePoint.objects.bulk_create([ServicePoint(premise=p, service="electric") for p in premises],
                                              batch_size=2000)
    meters = Meter.objects.bulk_create([Meter(serial_number=f"{prefix}{i:07d}", service="electric", kind=kind)
                                        for i in range(n)], batch_size=2000)
    MeterInstallation.objects.bulk_create([MeterInstallation(meter=m, service_point=p, installed_on=date(2023, 1, 1))
                                           for m, p in zip(meters, points, strict=True)], batch_size=2000)
    agreements = ServiceAgreement.objects.bulk_create([
        ServiceAgreement(account=a, service_point=p, service="electric", rate_schedule=schedule,
                         customer_class="residential", bill_cycle=cycle, start_date=date(2023, 1, 1))
        for a, p in zip(accounts, points, strict=True)], batch_size=2000)
    return meters, agreements


def register_reads(n: int, user) -> dict:
    from datetime import date
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ratepayer.metering import actions
    from ratepayer.metering.actions.estimation import UsageRequest, usage_for_billing

    meters, agreements = _build(n, "R", "register")
    rows = []
    for i, m in enumerate(meters):
        value = 1000 + i
        previous = date(2024, 1, 5)
        rows.append({"meter": m.serial_number, "read_date": previous, "value": Decimal(value)})
        for month in range(2, 13):
            day = date(2024, month, 5)
            value += (20 + i % 15) * (day - previous).days
            rows.append({"meter": m.serial_number, "read_date": day, "value": Decimal(value)})
            previous = day
    with CaptureQueriesContext(connection) as bulk_q:
        result, bulk_s = _timed(lambda: actions.load_reads_bulk(rows, user=user, name="bench year"))
    last = {r["meter"]: r["value"] for r in rows}
    lines = ["meter,read_date,reading"] + [f"{s},2025-01-05,{v + 31 * 25}" for s, v in last.items()]
    content = ("\n".join(lines) + f"\nTRAILER,{len(lines) - 1}\n").encode()
    with CaptureQueriesContext(connection) as route_q:
        imported, route_s = _timed(lambda: actions.import_route_file(user=user, content=content, name="bench.csv"))
    chunk = agreements[:2000]
    skip = {a.pk for a in chunk[::10]}  # every tenth meter was not read in February: estimated
    feb = [f"{m.serial_number},2025-02-05,{last[m.serial_number] + 62 * 25}" for m, a in zip(meters, agreements,
                                                                                              strict=True)
           if a.pk not in skip]
    actions.import_route_file(user=user, content=("meter,read_date,reading\n" + "\n".join(feb) + f"\nTRAILER,{len(feb)}\n").encode(),
                              name="bench-feb.csv")
    requests = [UsageRequest(a.pk, a.service_point_id, date(2025, 1, 5), a.start_date, None, date(2025, 2, 5))
                for a in chunk]
    with CaptureQueriesContext(connection) as usage_q:
        usage, usage_s = _timed(lambda: usage_for_billing(requests))
    estimated = sum(1 for u in usage.values() if getattr(u, "read_type", "") == "estimated")
    return {
        "meters": n,
        "bulk_load": {"reads": result.reads_created, "exceptions": result.exceptions_created, "seconds": bulk_s,
                      "reads_per_second": round(result.reads_created / bulk_s), "queries": len(bulk_q)},
        "route_import": {"rows": imported.rows, "seconds": route_s, "rows_per_second": round(imported.rows / route_s),
                         "queries": len(route_q)},
        "usage_for_billing": {"agreements": len(requests), "estimated": estimated, "seconds": usage_s,
                              "agreements_per_second": round(len(requests) / usage_s), "queries": len(usage_q)},
    }


def intervals(m: int, vendor: str) -> dict:
    from datetime import UTC, datetime

    import numpy as np
    from django.db import connection

    from ratepayer.metering import actions
    from ratepayer.metering.queries import interval_ranges

    meters, _ = _build(m, "I", "interval")
    start = int(datetime(2024, 1, 1, 8, tzinfo=UTC).timestamp())
    starts = np.arange(start, start + 365 * 86400, 3600, dtype=np.int64)
    rng = np.random.default_rng(1)
    values = {mt.pk: rng.integers(100, 3000, len(starts)) for mt in meters}

    def size() -> int | None:
        """Bytes the SQLite database uses after a checkpoint (pages in use, not the file)."""
        if vendor != "sqlite":
            return None
        with connection.cursor() as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.execute("PRAGMA page_count")
            pages = c.fetchone()[0]
            c.execute("PRAGMA freelist_count")
            free = c.fetchone()[0]
            c.execute("PRAGMA page_size")
            return (pages - free) * c.fetchone()[0]

    before = size()
    days, packed_s = _timed(lambda: actions.load_intervals_bulk(
        [(mt, 3600, starts.tolist(), values[mt.pk].tolist()) for mt in meters]))
    packed_bytes = (size() - before) if vendor == "sqlite" else None
    month = (start + 31 * 86400, start + 60 * 86400)
    ranges = [(mt.pk, *month) for mt in meters]
    _, packed_read_s = _timed(lambda: interval_ranges(ranges))

    with connection.cursor() as c:
        c.execute("CREATE TABLE bench_interval (meter_id integer NOT NULL, start bigint NOT NULL, wh integer NOT NULL)")
        c.execute("CREATE UNIQUE INDEX bench_interval_key ON bench_interval (meter_id, start)")
    before = size()

    def insert_rows():
        # the driver's own executemany (no ORM) in one transaction: the fastest fair insert of plain rows
        from django.db import transaction

        marker = "?" if vendor == "sqlite" else "%s"
        sql = f"INSERT INTO bench_interval (meter_id, start, wh) VALUES ({marker}, {marker}, {marker})"
        with transaction.atomic(), connection.cursor() as c:
            raw = c.cursor
            while hasattr(raw, "cursor") and not hasattr(raw, "executemany"):
                raw = raw.cursor
            for mt in meters:
                raw.executemany(sql, list(zip([mt.pk] * len(starts), starts.tolist(), values[mt.pk].tolist(),
                                              strict=True)))

    _, rows_s = _timed(insert_rows)
    rows_bytes = (size() - before) if vendor == "sqlite" else None
    if vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SELECT pg_total_relation_size('bench_interval'), pg_total_relation_size('metering_intervalday')")
            rows_bytes, packed_bytes = c.fetchone()

    def read_rows():
        with connection.cursor() as c:
            ids = ",".join(str(mt.pk) for mt in meters)
            c.execute(f"SELECT meter_id, start, wh FROM bench_interval WHERE meter_id IN ({ids}) AND start >= %s "
                      "AND start < %s ORDER BY meter_id, start", list(month))
            data = np.array(c.fetchall(), dtype=np.int64)
        return {mid: data[data[:, 0] == mid, 2] / 1000 for mid in np.unique(data[:, 0])}

    _, rows_read_s = _timed(read_rows)
    with connection.cursor() as c:
        c.execute("DROP TABLE bench_interval")
    intervals_total = m * len(starts)
    return {
        "meters": m, "intervals": intervals_total,
        "packed_day_rows": {"rows": days, "store_seconds": packed_s, "bytes": packed_bytes,
                            "read_one_month_all_meters_seconds": packed_read_s},
        "row_per_interval": {"rows": intervals_total, "store_seconds": rows_s, "bytes": rows_bytes,
                             "read_one_month_all_meters_seconds": rows_read_s},
        "rows_per_1000_meters_year": {"packed": days * 1000 // m, "row_per_interval": intervals_total * 1000 // m},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meters", type=int, default=3000)
    parser.add_argument("--interval-meters", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    _configure(args)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from ratepayer.staff import roles
    from ratepayer.staff.actions import create_staff_user

    user = create_staff_user(username="bench", password="bench-password-123", roles=[roles.SPECIALIST])
    vendor = connection.vendor
    report = {
        "benchmark": "metering", "database": vendor, "python": platform.python_version(),
        "register_reads": register_reads(args.meters, user),
        "interval_storage": intervals(args.interval_meters, vendor),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
