"""Benchmark: one bill run of a synthetic utility.

Builds N residential accounts (electric for all, water for ~75 %, sewer for
~60 %; ``ratepayer.demo.synthetic``) with an opening and a closing read per
meter, in a fresh database — a scratch SQLite file by default, or a new
database created on the PostgreSQL server of --database-url (dropped after) —
then bills the cycle with ``--workers`` processes through the real pipeline
(metering.actions.estimation.usage_for_billing, batch rating, bulk writes, ledger
postings). Documents are not part of a bill run and are not timed.

Prints one JSON object: accounts, bills, seconds (the run only), bills_per_second,
queries (all workers), peak_memory_mb (largest worker), build_seconds, workers,
database vendor, and where the time went (seconds per stage, summed over workers).

    .venv/bin/python bench/billrun.py [--accounts 100000] [--database-url URL] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CYCLE = "B1"
PERIOD_END = "2025-02-14"


def _configure(url: str) -> None:
    os.environ["RATEPAYER_DEBUG"] = "0"
    os.environ["RATEPAYER_SECRET_KEY"] = "bench-billrun-secret-key-not-for-production-0123456789"
    os.environ["RATEPAYER_FIELD_ENCRYPTION_KEY"] = "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE="
    os.environ.pop("RATEPAYER_TESTING", None)
    os.environ["RATEPAYER_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _fresh_database(url: str | None) -> tuple[str, callable]:
    if not url or url.startswith("sqlite"):
        scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-billrun-"))
        return f"sqlite:///{scratch / 'bench.sqlite3'}", lambda: None
    import dj_database_url
    import psycopg

    parts = dj_database_url.parse(url)
    name = f"bench_billrun_{os.getpid()}"
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


def _peak_memory_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: on Linux that keeps the
    parent's size at fork across exec, and the parent has just built the utility."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _work(url: str) -> None:
    """One worker process: bill chunks of the planned run; print its own figures."""
    _configure(url)
    from django.db import connection

    from ratepayer.billing import billrun
    from ratepayer.billing.models import BillRun

    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    stages = billrun.STAGE_SECONDS
    with connection.execute_wrapper(count):
        run = BillRun.objects.get(cycle__code=CYCLE, period_end=PERIOD_END)
        billrun.work_on_run(run)
    print(json.dumps({"queries": queries[0], "peak_memory_mb": _peak_memory_mb(),
                      "stages": stages, "cpu_seconds": time.process_time()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-accounts", type=int, default=2000)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work:
        _work(args.work)
        return
    url, drop = _fresh_database(args.database_url)
    try:
        _configure(url)
        from django.core.management import call_command
        from django.db import connection

        from ratepayer.billing import billrun
        from ratepayer.billing.models import Bill
        from ratepayer.customers.models import BillCycle
        from ratepayer.demo import synthetic
        from ratepayer.ledger import checks

        call_command("migrate", "--no-input", verbosity=0)
        started = time.monotonic()
        from datetime import date

        synthetic.build(accounts=args.accounts, cycle_code=CYCLE, start=date(2025, 1, 14),
                        period_end=date.fromisoformat(PERIOD_END))
        # a utility's database has statistics (autovacuum analyzes tables that grew); a just-loaded one
        # does not, and PostgreSQL then filters 2,000-id arrays row by row instead of using the index
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        build_seconds = time.monotonic() - started
        connection.close()

        started = time.monotonic()
        run = billrun.plan_run(cycle=BillCycle.objects.get(code=CYCLE), period_end=date.fromisoformat(PERIOD_END),
                               chunk_accounts=args.chunk_accounts)
        connection.close()
        procs = [subprocess.Popen([sys.executable, __file__, "--work", url], stdout=subprocess.PIPE, text=True)
                 for _ in range(args.workers)]
        results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        seconds = time.monotonic() - started
        billrun.finish_if_done(run)
        bills = Bill.objects.filter(run=run).count()
        stages: dict[str, float] = {}
        for r in results:
            for k, v in r["stages"].items():
                stages[k] = round(stages.get(k, 0) + v, 2)
        ledger_ok = checks.run_all()["ok"]
        print(json.dumps({
            "accounts": args.accounts, "bills": bills, "seconds": round(seconds, 2),
            "bills_per_second": round(bills / seconds, 1), "queries": sum(r["queries"] for r in results),
            "peak_memory_mb": round(max(r["peak_memory_mb"] for r in results), 1), "workers": args.workers,
            "chunk_accounts": args.chunk_accounts, "build_seconds": round(build_seconds, 1),
            "database": connection.vendor, "ledger_check_ok": ledger_ok, "worker_stage_seconds": stages,
            # CPU of the worker processes (Python); on PostgreSQL the server's share of the cores is the rest
            "worker_cpu_seconds": round(sum(r["cpu_seconds"] for r in results), 1),
        }))
    finally:
        from django.db import connections

        connections.close_all()
        drop()


if __name__ == "__main__":
    main()
