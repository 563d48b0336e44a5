"""Benchmark: the daily collections job and aging over a utility with a year of history.

Builds N residential accounts (``ratepayer.demo.synthetic``, electric for all,
water and sewer for many) in a fresh database — a new database on the
PostgreSQL server of --database-url (dropped after), or a scratch SQLite file —
then writes a year of history straight into the ledger in a few set-based SQL
statements: twelve monthly bills per account (Dr 142 per service agreement /
Cr revenue, entries sourced ``billing.bill`` with their due dates) and the
payments of four kinds of payer (on time, late, half, stopped paying in the
autumn), and the cached balances. Then it times:

- ``aging_cold_seconds``: aging of every account before any watermark exists
  (reads whole histories);
- ``warmup_seconds``: the runs of two earlier days (Dec 23 and 28: late fees,
  past-due and final notices), so the timed day has windows open;
- ``run_seconds``: ``collections run`` for Jan 6 (late fees, notices,
  disconnect decisions recorded with their facts, orders; documents are
  rendered afterwards by workers and are not timed), with its query count;
- ``next_day_run_seconds``: the run of the following day (watermarks set);
- ``aging_seconds``: aging of every account from the watermarks;
- with --check, ``ratepayer ledger check`` (every invariant, including open
  items from the watermarks = the full history).

Prints one JSON object.

    .venv/bin/python bench/collections_daily.py --database-url postgresql://... [--accounts 100000] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_BILL = date(2025, 1, 10)
RUN_DAY = date(2026, 1, 6)  # a Tuesday after the December bills fell due (Dec 31)


def _configure(url: str) -> None:
    os.environ["RATEPAYER_DEBUG"] = "0"
    os.environ["RATEPAYER_SECRET_KEY"] = "bench-collections-secret-key-not-for-production-0123456789"
    os.environ["RATEPAYER_FIELD_ENCRYPTION_KEY"] = "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE="
    os.environ.pop("RATEPAYER_TESTING", None)
    os.environ["RATEPAYER_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _fresh_database(url: str | None):
    if not url or not url.startswith("postgres"):
        raise SystemExit("bench/collections_daily.py needs --database-url postgresql://... (a server it may create a "
                         "scratch database on); the year of history is written with PostgreSQL's SQL")
    import dj_database_url
    import psycopg

    parts = dj_database_url.parse(url)
    name = f"bench_collections_{os.getpid()}"
    admin = dict(host=parts["HOST"], port=parts["PORT"] or 5432, user=parts["USER"],
                 password=parts["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{url.rsplit('/', 1)[0]}/{name}", drop


def _history(cursor, postgres: bool) -> None:
    """A year of bills and payments, set-based (a benchmark's data, not the
    actions' path: the daily job reads the ledger whatever wrote it)."""
    months = "generate_series(0, 11)" if postgres else "(WITH RECURSIVE m(x) AS (SELECT 0 UNION ALL SELECT x + 1 " \
                                                       "FROM m WHERE x < 11) SELECT x FROM m)"
    add_months = ("(%s::date + (m.x || ' months')::interval)::date" if postgres
                  else "date(%s, '+' || m.x || ' months')")
    add_days = (lambda expr, days: f"({expr} + {days})") if postgres else (lambda expr, days: f"date({expr}, '+{days} days')")
    now = "now()" if postgres else "datetime('now')"
    gl = {n: i for n, i in _gl_ids(cursor).items()}
    # the charge of agreement a in month m: $20–$109, spread by id and month
    charge = "(20 + ((sa.id * 7 + m.x * 13) %% 90))"
    cursor.execute(f"""
        INSERT INTO billing_bill (account_id, period_start, period_end, bill_date, due_date, status, hold_reasons,
                                  current_charges, previous_balance, amount_due, language, created_at,
                                  cancel_reason)
        SELECT a.id, {add_months}, {add_months}, {add_months}, {add_days(add_months, 21)}, 'issued', '[]',
               0, 0, 0, 'en', {now}, ''
        FROM customers_account a CROSS JOIN {months} AS m(x)""", [FIRST_BILL] * 4)
    cursor.execute(f"""
        INSERT INTO ledger_journalentry (event, effective_date, posted_at, description, source_type, source_id,
                                         idempotency_key)
        SELECT 'bill_charge', b.bill_date, {now}, 'bill', 'billing.bill', b.id, 'bill:' || b.id FROM billing_bill b""", [])
    month_of = ("(EXTRACT(YEAR FROM b.bill_date)::int - 2025) * 12 + EXTRACT(MONTH FROM b.bill_date)::int - 1"
                if postgres else "(CAST(strftime('%Y', b.bill_date) AS INTEGER) - 2025) * 12 "
                                 "+ CAST(strftime('%m', b.bill_date) AS INTEGER) - 1")
    charges = f"""
        SELECT e.id AS entry_id, b.account_id, sa.id AS agreement_id, b.bill_date, b.due_date, m.x AS month,
               {charge} AS amount
        FROM billing_bill b JOIN ledger_journalentry e ON e.source_type = 'billing.bill' AND e.source_id = b.id
        JOIN customers_serviceagreement sa ON sa.account_id = b.account_id
        JOIN (SELECT b2.id AS bill_id, {month_of.replace('b.', 'b2.')} AS x FROM billing_bill b2) m ON m.bill_id = b.id"""
    cursor.execute(f"""
        INSERT INTO ledger_journalline (entry_id, gl_account_id, debit, credit, account_id, agreement_id, memo)
        SELECT entry_id, {gl['142']}, amount, 0, account_id, agreement_id, 'charge' FROM ({charges}) c
        UNION ALL
        SELECT entry_id, {gl['440']}, 0, amount, NULL, NULL, 'charge' FROM ({charges}) c""", [])
    # payers by account id: 0–5 on time (5 days before due), 6–7 late (25 days after due), 8 half, 9 stopped in
    # September; each payment pays its bill's charges per agreement
    kind = "(a_id %% 10)"
    pay_day = (f"CASE WHEN {kind} <= 5 THEN {add_days('c.due_date', -5)} ELSE {add_days('c.due_date', 25)} END"
               if postgres else
               f"CASE WHEN {kind} <= 5 THEN date(c.due_date, '-5 days') ELSE date(c.due_date, '+25 days') END")
    cursor.execute(f"""
        CREATE TEMPORARY TABLE bench_payments AS
        SELECT c.entry_id AS bill_entry, c.account_id, c.agreement_id, {pay_day} AS paid_on,
               CASE WHEN {kind} = 8 THEN ROUND(c.amount / 2.0, 2) ELSE c.amount END AS amount
        FROM (SELECT x.*, x.account_id AS a_id FROM ({charges}) x) c
        WHERE NOT ({kind} = 9 AND c.month >= 8)
          AND {pay_day} < %s""", [RUN_DAY])
    cursor.execute(f"""
        INSERT INTO ledger_journalentry (event, effective_date, posted_at, description, source_type, source_id,
                                         idempotency_key)
        SELECT 'payment', MIN(paid_on), {now}, 'payment', 'bench.payment', bill_entry, NULL
        FROM bench_payments GROUP BY bill_entry""", [])
    cursor.execute(f"""
        INSERT INTO ledger_journalline (entry_id, gl_account_id, debit, credit, account_id, agreement_id, memo)
        SELECT e.id, {gl['131.1']}, SUM(p.amount), 0, NULL, NULL, 'payment'
        FROM bench_payments p JOIN ledger_journalentry e ON e.source_type = 'bench.payment' AND e.source_id = p.bill_entry
        GROUP BY e.id
        UNION ALL
        SELECT e.id, {gl['142']}, 0, p.amount, p.account_id, p.agreement_id, 'payment'
        FROM bench_payments p JOIN ledger_journalentry e ON e.source_type = 'bench.payment' AND e.source_id = p.bill_entry""", [])
    cursor.execute(f"""
        INSERT INTO ledger_arbalance (agreement_id, account_id, balance, updated_at)
        SELECT agreement_id, MIN(account_id), SUM(debit - credit), {now} FROM ledger_journalline
        WHERE gl_account_id = {gl['142']} GROUP BY agreement_id""", [])


def _gl_ids(cursor) -> dict[str, int]:
    cursor.execute("SELECT number, id FROM ledger_glaccount")
    return dict(cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--check", action="store_true", help="run `ratepayer ledger check` at the end")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (its URL on stderr)")
    parser.add_argument("--profile", action="store_true", help="profile the timed run (stderr)")
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest statements of the run (stderr)")
    args = parser.parse_args()
    url, drop = _fresh_database(args.database_url)
    try:
        _configure(url)
        from django.core.management import call_command
        from django.db import connection, transaction

        from ratepayer.collections import queries
        from ratepayer.collections.actions import daily
        from ratepayer.demo import synthetic
        from ratepayer.ledger import checks
        from ratepayer.ledger.models import JournalLine

        call_command("migrate", "--no-input", verbosity=0)
        started = time.monotonic()
        synthetic.build(accounts=args.accounts, cycle_code="C1", with_reads=False)
        postgres = connection.vendor == "postgresql"
        with transaction.atomic(), connection.cursor() as cursor:
            _history(cursor, postgres)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if postgres else "ANALYZE")
        build_seconds = time.monotonic() - started
        lines = JournalLine.objects.count()

        started = time.monotonic()
        cold = queries.aging(None, on=RUN_DAY)
        aging_cold = time.monotonic() - started

        # two earlier days of the same month, so the timed day finds notices served and windows open
        started = time.monotonic()
        warmup = [daily.run(date.fromordinal(RUN_DAY.toordinal() - days)).as_dict() for days in (14, 9)]
        warmup_seconds = time.monotonic() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        counted = [0]

        def count(execute, sql, params, many, context):
            counted[0] += 1
            return execute(sql, params, many, context)

        slow: list = []

        def timed(execute, sql, params, many, context):
            began = time.monotonic()
            try:
                return execute(sql, params, many, context)
            finally:
                slow.append((time.monotonic() - began, sql[:160]))

        with connection.execute_wrapper(count), connection.execute_wrapper(timed):
            started = time.monotonic()
            if args.profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                result = profiler.runcall(daily.run, RUN_DAY)
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
            else:
                result = daily.run(RUN_DAY)
            run_seconds = time.monotonic() - started
        if args.slowest:
            for seconds, sql in sorted(slow, reverse=True)[:args.slowest]:
                print(f"{seconds:8.3f}s {' '.join(sql.split())}", file=sys.stderr)
        run_queries = counted[0]
        started = time.monotonic()
        next_day = daily.run(date.fromordinal(RUN_DAY.toordinal() + 1))
        next_seconds = time.monotonic() - started
        started = time.monotonic()
        warm = queries.aging(None, on=RUN_DAY)
        aging_seconds = time.monotonic() - started
        started = time.monotonic()
        repeat = daily.run(RUN_DAY)
        repeat_seconds = time.monotonic() - started
        out = {
            "accounts": args.accounts, "database": connection.vendor, "journal_lines": lines,
            "build_seconds": round(build_seconds, 1),
            "aging_cold_seconds": round(aging_cold, 2), "aging_seconds": round(aging_seconds, 2),
            "aging_rows": len(warm), "aging_rows_cold": len(cold),
            "warmup_runs": warmup, "warmup_seconds": round(warmup_seconds, 2),
            "run_seconds": round(run_seconds, 2), "run_queries": run_queries, "run": result.as_dict(),
            "next_day_run_seconds": round(next_seconds, 2), "next_day": next_day.as_dict(),
            "repeat_run_seconds": round(repeat_seconds, 2),
            "repeat_changed_nothing": all(v == 0 for k, v in repeat.as_dict().items()
                                          if k not in ("date", "accounts", "chunks", "late_fee_total")),
        }
        if args.check:
            started = time.monotonic()
            out["ledger_check_ok"] = checks.run_all()["ok"]
            out["ledger_check_seconds"] = round(time.monotonic() - started, 1)
        print(json.dumps(out))
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept {url}", file=sys.stderr)
        else:
            drop()


if __name__ == "__main__":
    main()
