"""Benchmark: a pay-by-phone settlement file, security deposit interest and review.

Builds N accounts (default 20,000) with one electric agreement and a $100
charge (bench/payments.py's builder) in a fresh database — scratch SQLite, or a
database of its own on the PostgreSQL server given with --postgres — then
measures, through the actions the commands use:

* ``import_phone_payments`` of a settlement CSV with one card payment per
  account, as payments per second;
* ``accrue_interest`` on N held security deposits (a year of interest at two
  effective-dated rates), as deposits per second;
* ``deposits_due_back`` (the register's "due back" list) over N deposits.

Prints one JSON object.

    .venv/bin/python bench/payfeat.py [--accounts 20000] [--postgres postgres://ratepayer@127.0.0.1:55432/ratepayer]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

_spec = importlib.util.spec_from_file_location("bench_payments", Path(__file__).with_name("payments.py"))
bench_payments = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_payments)


def _phone_csv(accounts) -> bytes:
    rows = ["settlement_date,transaction_id,account,amount,card_brand,last4"]
    rows += [f"2025-03-04,BENCH{i:08d},{a.number},40.00,VISA,{i % 10000:04d}" for i, a in enumerate(accounts)]
    rows.append(f"TRAILER,{len(accounts)},{40 * len(accounts)}.00")
    return ("\n".join(rows) + "\n").encode()


def _deposits(accounts, user) -> None:
    """N deposits held since 2024-03-01, received through a phone batch."""
    from ratepayer.payments.actions.deposits import DepositReceiptSpec, post_deposit_receipts
    from ratepayer.payments.models import PaymentBatch, SecurityDeposit

    deposits = SecurityDeposit.objects.bulk_create(
        [SecurityDeposit(account=a, amount_required=Decimal("150.00"), reason="bench", required_on=date(2024, 3, 1),
                         due_on=date(2024, 3, 15), created_by=user) for a in accounts], batch_size=5000)
    batch = PaymentBatch.objects.create(kind="phone", business_date=date(2024, 3, 1), reference="bench deposits")
    for start in range(0, len(deposits), 5000):
        post_deposit_receipts([DepositReceiptSpec(d.pk, Decimal("150.00"), "card", date(2024, 3, 1),
                                                  f"bench-deposit:{d.pk}") for d in deposits[start:start + 5000]],
                              batch=batch, user=user)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server; a database of its own is created")
    args = parser.parse_args()
    info = bench_payments._configure(args)
    try:
        from django.core.management import call_command
        from django.db import connection

        from ratepayer.ledger import checks
        from ratepayer.payments import actions, queries
        from ratepayer.payments.models import DepositInterestRate, Payment
        from ratepayer.staff import roles
        from ratepayer.staff.actions import create_staff_user

        t0 = time.perf_counter()
        call_command("migrate", "--no-input", "-v", "0")
        user = create_staff_user(username="bench", password="bench-password-0123456789", roles=[roles.SPECIALIST])
        accounts = bench_payments._build(args.accounts)
        content = _phone_csv(accounts)
        setup_s = time.perf_counter() - t0

        t = time.perf_counter()
        imported = actions.import_phone_payments(user=user, content=content, name="bench-ivr.csv")
        phone_s = time.perf_counter() - t
        posted = Payment.objects.filter(batch__source_file=imported).count()

        _deposits(accounts, user)
        DepositInterestRate.objects.create(effective_from=date(2024, 1, 1), annual_rate=Decimal("5.0100"))
        DepositInterestRate.objects.create(effective_from=date(2025, 1, 1), annual_rate=Decimal("4.3200"))
        t = time.perf_counter()
        accrued = actions.accrue_interest(on=date(2025, 3, 1))
        interest_s = time.perf_counter() - t
        t = time.perf_counter()
        due = queries.deposits_due_back(date(2025, 3, 1))
        review_s = time.perf_counter() - t

        t = time.perf_counter()
        ledger_ok = checks.run_all()["ok"]
        check_s = time.perf_counter() - t
        print(json.dumps({
            "benchmark": "payfeat",
            "database": connection.vendor,
            "accounts": args.accounts,
            "setup_s": round(setup_s, 1),
            "phone_import": {"rows": imported.item_count, "payments_posted": posted, "seconds": round(phone_s, 2),
                             "payments_per_s": round(posted / phone_s)},
            "deposit_interest": {"deposits": accrued["deposits"], "interest": accrued["interest"],
                                 "seconds": round(interest_s, 2),
                                 "deposits_per_s": round(accrued["deposits"] / interest_s)},
            "deposits_due_back": {"deposits": len(due), "seconds": round(review_s, 2)},
            "ledger_check_ok": ledger_ok, "ledger_check_s": round(check_s, 1),
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        }, indent=2))
    finally:
        bench_payments._drop(info)


if __name__ == "__main__":
    main()
