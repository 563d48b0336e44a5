"""Eight processes posting payments to the same accounts at once, on a real
PostgreSQL server: nothing is lost, nothing is doubled, the ledger balances."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 8
PER_WORKER = 25

SEED = """
import django; django.setup()
from datetime import date
from ratepayer.staff import roles
from ratepayer.staff.actions import create_staff_user
from tests import factories
from tests.payments.conftest import charge
from tests.payments.helpers import second_account
users = factories.staff_users()
for n in range({workers}):
    create_staff_user(username=f"clerk{{n}}", password=factories.PASSWORD, roles=[roles.ASSISTANT])
u = factories.small_utility(users["specialist"])
charge(u.electric, "500.00", date(2025, 1, 31))
charge(u.water, "300.00", date(2025, 1, 15))
_, water2 = second_account(users["specialist"], u)
charge(water2, "250.00", date(2025, 2, 1))
"""

WORKER = """
import django, sys; django.setup()
from decimal import Decimal
from django.contrib.auth import get_user_model
from ratepayer.customers.models import Account
from ratepayer.payments import actions
from ratepayer.payments.errors import PaymentError
n = int(sys.argv[1])
clerk = get_user_model().objects.get(username=f"clerk{{n}}")
session = actions.open_session_for(clerk) or actions.open_drawer(user=clerk)
accounts = list(Account.objects.order_by("pk"))
refused = 0
for i in range({per_worker}):
    try:
        actions.take_payment(user=clerk, session=session, account=accounts[(i + n) % len(accounts)], tender="cash",
                             amount=Decimal(1 + (i * 7 + n) % 13) + Decimal((i * 3) % 100) / 100, token=f"{{n}}-{{i}}")
    except PaymentError:
        refused += 1
print(refused)
"""


def expected_amount(n: int, i: int) -> Decimal:
    return Decimal(1 + (i * 7 + n) % 13) + Decimal((i * 3) % 100) / 100


@pytest.mark.postgres_only("SQLite serializes every writer, so there is no concurrency to test; "
                           "run the suite with RATEPAYER_DATABASE_URL pointing at PostgreSQL")
def test_eight_processes_posting_to_the_same_accounts_lose_and_double_nothing():
    """Runs on a database of its own (the test database is not touched), so
    the processes see committed data exactly as production workers would."""
    import psycopg

    default = settings.DATABASES["default"]
    base = (default.get("TEST") or {}).get("NAME") or f"test_{default['NAME']}"
    dbname = f"{base}_payconc"
    admin = dict(host=default["HOST"], port=default["PORT"], user=default["USER"],
                 password=default.get("PASSWORD") or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    env = {**os.environ, "RATEPAYER_DATABASE_URL": f"postgres://{default['USER']}@{default['HOST']}:{default['PORT']}/"
           f"{dbname}", "RATEPAYER_DEBUG": "1", "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
           "DJANGO_SETTINGS_MODULE": "ratepayer.settings", "RATEPAYER_TESTING": "1"}

    def run(*args, **kw):
        return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=600, **kw)

    try:
        assert run("-m", "ratepayer.cli", "migrate", "--no-input", "-v", "0").returncode == 0
        seeded = run("-c", SEED.format(workers=WORKERS))
        assert seeded.returncode == 0, seeded.stderr
        script = WORKER.format(per_worker=PER_WORKER)
        procs = [subprocess.Popen([sys.executable, "-c", script, str(n)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for n in range(WORKERS)]
        results = [p.communicate(timeout=600) for p in procs]
        for proc, (out, err) in zip(procs, results, strict=True):
            assert proc.returncode == 0, err
            assert out.strip() == "0"
        # the same forms submitted again by one clerk: every one refused
        again = run("-c", script, "0")
        assert again.returncode == 0 and again.stdout.strip() == str(PER_WORKER), again.stderr
        expected = sum(expected_amount(n, i) for n in range(WORKERS) for i in range(PER_WORKER))
        with psycopg.connect(**{**admin, "dbname": dbname}) as conn:
            count, total = conn.execute("SELECT COUNT(*), SUM(amount) FROM payments_payment").fetchone()
            applied = conn.execute("SELECT SUM(amount) FROM payments_paymentapplication").fetchone()[0]
            balances = conn.execute("SELECT SUM(balance) FROM ledger_arbalance").fetchone()[0]
            cash = conn.execute("SELECT SUM(debit) - SUM(credit) FROM ledger_journalline l JOIN ledger_glaccount g "
                                "ON g.id = l.gl_account_id WHERE g.number = '131.1'").fetchone()[0]
            unbalanced = conn.execute(
                "SELECT COUNT(*) FROM (SELECT p.id FROM payments_payment p JOIN payments_paymentapplication a "
                "ON a.payment_id = p.id GROUP BY p.id, p.amount HAVING SUM(a.amount) <> p.amount) x").fetchone()[0]
        assert count == WORKERS * PER_WORKER and total == expected and applied == expected
        assert unbalanced == 0
        assert balances == Decimal("1050.00") - expected and cash == expected
        check = run("-m", "ratepayer.cli", "ledger", "check")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
