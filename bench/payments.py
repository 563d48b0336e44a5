"""Benchmark: post a 100,000-item lockbox file; write a 100,000-entry autopay NACHA file.

Builds N accounts (default 100,000), each with one electric agreement and a
$100 charge, into a fresh database — a scratch SQLite file, or a database of
its own created on the PostgreSQL server given with --postgres (and dropped
afterwards) — then measures, through the same actions the commands use:

* ``import_lockbox`` of a BAI lockbox file with one check per account (parse,
  duplicate checks, account lookup by scan line, application oldest-first on
  the AR subledger, payments + applications + journal entries + AR balances,
  deposit), as payments per second;
* ``originate``: the NACHA PPD file for N autopay enrollments due the next
  business day (decrypting each bank account number), in seconds;
* ``settle``: posting those N debits as payments on the settlement date.

Each phase reports wall seconds and the CPU seconds of this process (the
database server's work is in the wall time only), and the load average
before and after: the machine is shared, so read the wall time with the load.

Goals (issue 5, 2-core machine, PostgreSQL): ≥ 5,000 payments/s; NACHA file < 10 s.
Where the time goes: payments and applications, journal entries and lines are
written with ``ratepayer.db.bulk.insert_rows`` (COPY on PostgreSQL), lookups of
thousands of ids go as one array parameter (the ``__among`` lookup), keys are
checked per statement (``ratepayer.db.references``), garbage collection is paused
for the file (``bulk.gc_paused``), the NACHA file reads enrollments as tuples
and decrypts only the entries it writes. What is left is per-payment Python
(parsing, application, entry specs, COPY text) and, on PostgreSQL, the
server writing about five rows and their indexes per payment.
Prints one JSON object.

    .venv/bin/python bench/payments.py [--accounts 100000] [--postgres postgres://ratepayer@127.0.0.1:55432/ratepayer]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

BENCH_FERNET_KEY = "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE="  # synthetic data only


def _configure(args) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-payments-"))
    os.environ["RATEPAYER_VAR_DIR"] = str(scratch)
    os.environ["RATEPAYER_DEBUG"] = "0"
    os.environ["RATEPAYER_SECRET_KEY"] = "bench-payments-secret-key-not-for-production-0123456789"
    os.environ["RATEPAYER_FIELD_ENCRYPTION_KEY"] = BENCH_FERNET_KEY
    os.environ.pop("RATEPAYER_TESTING", None)
    info = {"scratch": scratch}
    if args.postgres:
        import psycopg

        base, _, _ = args.postgres.rpartition("/")
        info["admin_url"] = args.postgres
        info["dbname"] = f"bench_payments_{os.getpid()}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{info["dbname"]}"')
        os.environ["RATEPAYER_DATABASE_URL"] = f"{base}/{info['dbname']}"
    else:
        os.environ["RATEPAYER_DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    return info


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _drop(info: dict) -> None:
    if "dbname" in info:
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(info["admin_url"], autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{info["dbname"]}" WITH (FORCE)')


def _build(n: int) -> list:
    """N accounts with one electric agreement and a $100.00 charge (bulk)."""
    from ratepayer.customers.actions import account_number_for
    from ratepayer.customers.models import (
        Account,
        BillCycle,
        Customer,
        Premise,
        ServiceAgreement,
        ServicePoint,
    )
    from ratepayer.ledger.actions import EntrySpec, Line, post_entries
    from ratepayer.rates.models import RateSchedule

    cycle = BillCycle.objects.create(code="B1", name="Bench", read_day=5)
    schedule = RateSchedule.objects.create(code="E-BENCH", name="Bench residential", service="electric")
    customers = Customer.objects.bulk_create([Customer(name=f"Customer {i}") for i in range(n)], batch_size=5000)
    accounts = Account.objects.bulk_create(
        [Account(number=account_number_for(1000001 + i), customer=c, mailing_line1=f"{i} Main St",
                 mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
         for i, c in enumerate(customers)], batch_size=5000)
    premises = Premise.objects.bulk_create([Premise(line1=f"{i} Main St", city="Everett", zip="98201")
                                            for i in range(n)], batch_size=5000)
    points = ServicePoint.objects.bulk_create([ServicePoint(premise=p, service="electric") for p in premises],
                                              batch_size=5000)
    agreements = ServiceAgreement.objects.bulk_create(
        [ServiceAgreement(account=a, service_point=sp, service="electric", rate_schedule=schedule,
                          customer_class="residential", bill_cycle=cycle, start_date=date(2024, 1, 2))
         for a, sp in zip(accounts, points, strict=True)], batch_size=5000)
    for start in range(0, n, 5000):
        post_entries([EntrySpec(event="bill_charge", effective_date=date(2025, 2, 1), description="bench bill",
                                lines=[Line("142", debit=Decimal("100.00"), account_id=a.account_id,
                                            agreement_id=a.pk),
                                       Line("440", credit=Decimal("100.00"), account_id=a.account_id,
                                            agreement_id=a.pk)])
                      for a in agreements[start:start + 5000]])
    return accounts


def _lockbox(accounts) -> bytes:
    from ratepayer.formats import lockbox, scanline

    items = [lockbox.LockboxItem(line=0, lockbox="", deposit_date=None, batch="", item="", amount=Decimal("40.00"),
                                 routing="021000021", account="99887766", check_number=str(10000 + i),
                                 stubs=[lockbox.Stub(line=0, account=a.number, scan_line=scanline.build(
                                     a.number, Decimal("100.00"), date(2025, 3, 20)))])
             for i, a in enumerate(accounts)]
    batches = [items[i:i + 500] for i in range(0, len(items), 500)]
    return lockbox.write_fixed(destination="UTILITY", origin="BANK", created=datetime(2025, 3, 4, 6, 0),
                               lockbox="0012345", deposit_date=date(2025, 3, 4), batches=batches).encode()


def _enroll(accounts, user) -> None:
    from ratepayer.payments.models import AutopayEnrollment

    AutopayEnrollment.objects.bulk_create(
        [AutopayEnrollment(account=a, holder_name=f"CUSTOMER {i}"[:22], routing_number="021000021",
                           bank_account_number=f"{5000000 + i}", bank_account_last4=f"{5000000 + i}"[-4:],
                           account_type="checking", draft_day=10, start_date=date(2025, 3, 1),
                           authorized_on=date(2025, 2, 1), authorization="bench", status="active",
                           live_from=date(2025, 3, 1), created_by=user)
         for i, a in enumerate(accounts)], batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server; a database of its own is created")
    args = parser.parse_args()
    info = _configure(args)
    try:
        from django.core.management import call_command
        from django.db import connection

        from ratepayer.formats import nacha
        from ratepayer.ledger import checks
        from ratepayer.payments import actions
        from ratepayer.payments.models import Payment
        from ratepayer.staff import roles
        from ratepayer.staff.actions import create_staff_user

        t0 = time.perf_counter()
        call_command("migrate", "--no-input", "-v", "0")
        user = create_staff_user(username="bench", password="bench-password-0123456789", roles=[roles.SPECIALIST])
        accounts = _build(args.accounts)
        content = _lockbox(accounts)
        # a utility's database has statistics (autovacuum analyzes tables that grew); a just-loaded one has none
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        setup_s = time.perf_counter() - t0

        load_before = _loadavg()
        t, cpu = time.perf_counter(), time.process_time()
        imported = actions.import_lockbox(user=user, content=content, name="bench-lockbox.txt")
        lockbox_s, lockbox_cpu = time.perf_counter() - t, time.process_time() - cpu
        posted = Payment.objects.filter(batch__source_file=imported).count()

        t = time.perf_counter()
        try:
            actions.import_lockbox(user=user, content=content, name="again.txt")
        except Exception as exc:  # noqa: BLE001 - the refusal is what we time
            refused = type(exc).__name__
        repeat_s = time.perf_counter() - t

        _enroll(accounts, user)
        t, cpu = time.perf_counter(), time.process_time()
        ach = actions.originate(on=date(2025, 3, 7), user=user)
        nacha_s, nacha_cpu = time.perf_counter() - t, time.process_time() - cpu
        parsed = nacha.parse(ach.content)
        t, cpu = time.perf_counter(), time.process_time()
        settled = actions.settle(on=date(2025, 3, 10), user=user)
        settle_s, settle_cpu = time.perf_counter() - t, time.process_time() - cpu
        load_after = _loadavg()

        t = time.perf_counter()
        ledger_ok = checks.run_all()["ok"]
        check_s = time.perf_counter() - t
        result = {
            "benchmark": "payments",
            "database": connection.vendor,
            "accounts": args.accounts,
            "setup_s": round(setup_s, 1),
            "lockbox": {"items": imported.item_count, "payments_posted": posted,
                        "file_bytes": len(content), "seconds": round(lockbox_s, 2), "cpu_s": round(lockbox_cpu, 2),
                        "payments_per_s": round(posted / lockbox_s), "goal_payments_per_s": 5000,
                        "same_file_again": refused, "refusal_s": round(repeat_s, 3)},
            "autopay_nacha": {"entries": len(parsed.entries), "valid": parsed.report.ok,
                              "records": len(ach.content.splitlines()), "total": str(ach.total),
                              "seconds": round(nacha_s, 2), "cpu_s": round(nacha_cpu, 2), "goal_s": 10},
            "autopay_settle": {"payments_posted": settled["settled"], "seconds": round(settle_s, 2),
                               "cpu_s": round(settle_cpu, 2),
                               "payments_per_s": round(settled["settled"] / settle_s) if settle_s else None},
            "ledger_check_ok": ledger_ok, "ledger_check_s": round(check_s, 1),
            "load_average_before": load_before, "load_average_after": load_after,
            "python": platform.python_version(), "cpus": os.cpu_count(),
        }
        print(json.dumps(result, indent=2))
    finally:
        _drop(info)


if __name__ == "__main__":
    main()
