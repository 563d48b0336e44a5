"""Benchmark: HTTP API response times and query counts.

Builds the demo utility (default 20,000 accounts) in a scratch SQLite file (or
the PostgreSQL database given with --database-url, which must be a demo or
empty database), gives one account a long history (default 5,000 receivable
journal lines), then calls each endpoint through Django's full request stack
(middleware, token authentication, audit) with a bearer token and reports
latency percentiles and queries per request. Prints one JSON object.

    .venv/bin/python bench/api.py [--accounts 20000] [--history 5000] [--repeat 200]
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
from pathlib import Path


def _configure(args) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-api-"))
    os.environ["RATEPAYER_VAR_DIR"] = str(scratch)
    os.environ["RATEPAYER_DEBUG"] = "1"  # development keys; also lets us count queries
    os.environ["RATEPAYER_ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("RATEPAYER_TESTING", None)
    if args.database_url:
        os.environ["RATEPAYER_DATABASE_URL"] = args.database_url
    else:
        os.environ["RATEPAYER_DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()


def _long_history(account, lines: int) -> int:
    """Monthly bills and payments on one agreement until the account has
    ``lines`` receivable lines, posted in batches."""
    from datetime import date, timedelta
    from decimal import Decimal

    from ratepayer.customers.models import ServiceAgreement
    from ratepayer.ledger.actions import EntrySpec, Line, PostingRules, post_entries

    agreement = ServiceAgreement.objects.filter(account=account).order_by("pk").first()
    rules = PostingRules()
    bill_dr, bill_cr = rules.accounts("bill_charge", agreement.service, agreement.customer_class)
    specs = []
    day = date(2000, 1, 1)
    for i in range(lines):
        amount = Decimal(f"{50 + i % 97}.{i % 100:02d}")
        if i % 2 == 0:
            specs.append(EntrySpec(event="bill_charge", effective_date=day, description="bench bill", lines=[
                Line(bill_dr, debit=amount, account_id=account.pk, agreement_id=agreement.pk),
                Line(bill_cr, credit=amount, account_id=account.pk, agreement_id=agreement.pk)]))
        else:
            specs.append(EntrySpec(event="payment", effective_date=day + timedelta(days=12), description="bench payment",
                                   lines=[Line("131.1", debit=amount),
                                          Line("142", credit=amount, account_id=account.pk,
                                               agreement_id=agreement.pk)]))
            day += timedelta(days=3)
    for start in range(0, len(specs), 2000):
        post_entries(specs[start:start + 2000])
    return lines


def _measure(client, path: str, token: str, repeat: int) -> dict:
    from django.db import connection, reset_queries

    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):  # warm caches
        assert client.get(path, headers=headers).status_code == 200, path
    times, queries = [], []
    for _ in range(repeat):
        reset_queries()
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        queries.append(len(connection.queries))
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {
        "path": path,
        "requests": repeat,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "max_ms": round(times[-1], 2),
        "queries": max(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--history", type=int, default=5000, help="receivable lines on the long-history account")
    parser.add_argument("--repeat", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--database-url", default="", help="a demo or empty PostgreSQL database (default: scratch SQLite)")
    args = parser.parse_args()
    _configure(args)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from ratepayer.customers.models import Account
    from ratepayer.demo import builder
    from ratepayer.demo.actions import empty_database
    from ratepayer.ledger.models import JournalLine
    from ratepayer.staff.actions import create_api_token

    started = time.perf_counter()
    if args.database_url:
        empty_database()
    else:
        call_command("migrate", verbosity=0)
    builder.build(accounts=args.accounts)
    account = Account.objects.order_by("pk").first()
    _long_history(account, args.history)
    setup_seconds = round(time.perf_counter() - started, 1)
    history_lines = JournalLine.objects.filter(account=account, gl_account__is_receivable_control=True).count()

    user = get_user_model().objects.get(username="auditor")
    _, token = create_api_token(user=user, name="bench")
    client = Client()
    other = Account.objects.order_by("-pk").first()
    name_word = other.customer.name.split()[-1].lower()
    endpoints = [
        f"/api/v1/accounts/{account.number}",
        f"/api/v1/accounts/{account.number}/agreements",
        f"/api/v1/accounts/{account.number}/balances",
        f"/api/v1/accounts/{account.number}/transactions?limit=50",
        f"/api/v1/accounts/{account.number}/transactions?limit=50&offset={max(0, history_lines - 100)}",
        f"/api/v1/accounts/{account.number}/transactions?limit=500",
        f"/api/v1/accounts/search?q={other.number}",
        f"/api/v1/accounts/search?q={name_word}",
        f"/api/v1/customers/{other.customer_id}",
    ]
    results = [_measure(client, path, token, args.repeat) for path in endpoints]
    print(json.dumps({
        "benchmark": "api",
        "database": connection.vendor,
        "accounts": Account.objects.count(),
        "history_lines_on_measured_account": history_lines,
        "setup_seconds": setup_seconds,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "endpoints": results,
    }, indent=2))


if __name__ == "__main__":
    main()
