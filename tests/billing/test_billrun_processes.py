"""Bill runs in real processes: SIGKILL mid-run and resume; two workers = one.

These drive ``ratepayer billrun`` as subprocesses on a database of their own
(a file SQLite database, or a fresh PostgreSQL database when the suite runs
on PostgreSQL), because pytest-django's SQLite test database lives in memory."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
RATEPAYER = [sys.executable, "-m", "ratepayer.cli"]
SEED = """
import django; django.setup()
from datetime import date
from ratepayer.demo import synthetic
for code in {codes!r}:
    synthetic.build(accounts={accounts}, cycle_code=code, seed=11, start=date(2025, 1, 14), period_end=date(2025, 2, 14))
"""


class Database:
    """A database of its own, created from a migrated template (migrations run once per session)."""

    def __init__(self, tmp_path: Path, name: str, template: Database | None = None):
        default = settings.DATABASES["default"]
        self.sqlite = default["ENGINE"].endswith("sqlite3")
        if self.sqlite:
            self.path = tmp_path / f"{name}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            if template is not None:
                shutil.copyfile(template.path, self.path)
        else:
            import psycopg

            base = (default.get("TEST") or {}).get("NAME") or f"test_{default['NAME']}"
            self.dbname = f"{base}_{name}"
            self.admin = dict(host=default["HOST"], port=default["PORT"], user=default["USER"],
                              password=default.get("PASSWORD") or None, dbname="postgres", autocommit=True)
            with psycopg.connect(**self.admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}"')
                copy = f' TEMPLATE "{template.dbname}"' if template is not None else ""
                conn.execute(f'CREATE DATABASE "{self.dbname}"{copy}')
            self.url = (f"postgres://{default['USER']}@{default['HOST']}:{default['PORT']}/{self.dbname}")
        self.env = {**os.environ, "RATEPAYER_DATABASE_URL": self.url, "RATEPAYER_DEBUG": "1",
                    "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "DJANGO_SETTINGS_MODULE": "ratepayer.settings"}

    def query(self, sql: str):
        if self.sqlite:
            with sqlite3.connect(self.path, timeout=30) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(**{**self.admin, "dbname": self.dbname}) as conn:
            return conn.execute(sql).fetchall()

    def ratepayer(self, *args, check=True) -> subprocess.CompletedProcess:
        return subprocess.run([*RATEPAYER, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, check=check,
                              timeout=600)

    def prepare(self, accounts: int, codes=("K1",)) -> None:
        subprocess.run([sys.executable, "-c", SEED.format(codes=list(codes), accounts=accounts)], env=self.env, cwd=ROOT,
                       check=True, timeout=600)

    def drop(self) -> None:
        if not self.sqlite:
            import psycopg

            with psycopg.connect(**self.admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    db = Database(tmp_path_factory.mktemp("billrun"), "billrun_template")
    db.ratepayer("migrate", "--no-input", "-v", "0")
    yield db
    db.drop()


@pytest.fixture
def database(tmp_path, request, migrated):
    db = Database(tmp_path, request.node.name.split("[")[0][-20:].strip("_"), template=migrated)
    yield db
    db.drop()


def test_a_run_killed_with_sigkill_resumes_to_exactly_one_bill_per_account(database):
    database.prepare(accounts=600)
    args = ["billrun", "--cycle", "K1", "--period-end", "2025-02-14", "--chunk-accounts", "10",
            "--claim-timeout", "1"]
    proc = subprocess.Popen([*RATEPAYER, *args], env=database.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = database.query("SELECT COUNT(*) FROM billing_billrunchunk WHERE status = 'done'")[0][0]
        except Exception:  # tables still being created by the first transaction
            done = 0
        if done >= 5:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    total, finished = database.query("SELECT COUNT(*), SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) "
                                     "FROM billing_billrunchunk")[0]
    assert 5 <= finished < total == 60
    time.sleep(1.1)  # let the dead worker's claim go stale

    resumed = database.ratepayer(*args, "--format", "json")
    assert '"status": "finished"' in resumed.stdout
    bills, accounts = database.query("SELECT COUNT(*), COUNT(DISTINCT account_id) FROM billing_bill "
                                     "WHERE status <> 'cancelled'")[0]
    due = database.query("SELECT COUNT(DISTINCT account_id) FROM customers_serviceagreement")[0][0]
    assert bills == accounts == due == 600
    segments, agreements = database.query("SELECT COUNT(*), COUNT(DISTINCT agreement_id) FROM billing_billsegment")[0]
    assert segments == agreements == database.query("SELECT COUNT(*) FROM customers_serviceagreement")[0][0]
    entries = database.query("SELECT COUNT(*) FROM ledger_journalentry WHERE idempotency_key LIKE 'bill:%'")[0][0]
    issued = database.query("SELECT COUNT(*) FROM billing_bill WHERE status = 'issued'")[0][0]
    assert entries == issued
    assert database.ratepayer("ledger", "check").returncode == 0

    again = database.ratepayer(*args, "--format", "json")
    assert '"status": "finished"' in again.stdout
    assert database.query("SELECT COUNT(*) FROM billing_bill")[0][0] == bills
    assert database.query("SELECT COUNT(*) FROM ledger_journalentry")[0][0] >= entries
    assert database.query("SELECT COUNT(*) FROM ledger_journalentry WHERE idempotency_key LIKE 'bill:%'")[0][0] == entries


def test_two_workers_produce_the_same_bills_as_one(database):
    """Two cycles built from the same seed are identical; A1 is billed by one worker, A2
    by two worker processes. Both workers must have billed chunks, and every bill, segment
    and line of A2 must equal A1's to the cent (matched in account order)."""
    database.prepare(accounts=150, codes=("A1", "A2"))  # the same seed: two identical cycles
    one = database.ratepayer("billrun", "--cycle", "A1", "--period-end", "2025-02-14", "--chunk-accounts", "2")
    two = database.ratepayer("billrun", "--cycle", "A2", "--period-end", "2025-02-14", "--chunk-accounts", "2",
                             "--workers", "2")
    assert "Finished" in one.stdout and "Finished" in two.stdout, two.stderr

    def of_cycle(code):
        return ("JOIN billing_billrun r ON r.id = b.run_id JOIN customers_billcycle c ON c.id = r.cycle_id "
                f"WHERE c.code = '{code}'")

    def cents(column):
        return f"CAST(ROUND({column} * 100) AS INTEGER)"

    def bills(code):
        return database.query(
            "SELECT b.period_start, b.period_end, b.bill_date, b.due_date, b.status, "
            f"{cents('b.current_charges')}, {cents('b.previous_balance')}, {cents('b.amount_due')} "
            f"FROM billing_bill b {of_cycle(code)} ORDER BY b.account_id")

    def lines(code):
        rows = database.query(
            "SELECT b.account_id, s.service, s.customer_class, CAST(ROUND(s.quantity * 10000) AS INTEGER), "
            f"{cents('s.total')}, l.sequence, l.kind, l.description, CAST(ROUND(l.quantity * 10000) AS INTEGER), "
            f"{cents('l.amount')}, l.gl_account "
            "FROM billing_billline l JOIN billing_billsegment s ON s.id = l.segment_id "
            f"JOIN billing_bill b ON b.id = s.bill_id {of_cycle(code)} "
            "ORDER BY b.account_id, s.service, l.sequence")
        accounts = sorted({row[0] for row in rows})  # the two cycles' accounts differ: compare by rank
        rank = {account: n for n, account in enumerate(accounts)}
        return [(rank[row[0]], *row[1:]) for row in rows]

    first, second = bills("A1"), bills("A2")
    assert len(first) == 150 and first == second
    assert sum(row[5] for row in first) > 0  # real charges, compared to the cent
    first_lines, second_lines = lines("A1"), lines("A2")
    assert len(first_lines) >= 150 and first_lines == second_lines

    chunks = database.query(
        "SELECT ch.worker, COUNT(*), SUM(CASE WHEN ch.status = 'done' THEN 1 ELSE 0 END) "
        "FROM billing_billrunchunk ch JOIN billing_billrun r ON r.id = ch.run_id "
        "JOIN customers_billcycle c ON c.id = r.cycle_id WHERE c.code = 'A2' GROUP BY ch.worker")
    by_worker = {worker: (claimed, done) for worker, claimed, done in chunks}
    assert len(by_worker) == 2, f"both worker processes must claim chunks: {by_worker}"
    assert len({worker.split(":")[1] for worker in by_worker}) == 2  # host:pid:nonce — two processes
    assert all(claimed == done >= 1 for claimed, done in by_worker.values())
    assert sum(done for _, done in by_worker.values()) == 75  # 150 accounts in chunks of 2, each billed once
    assert database.ratepayer("ledger", "check").returncode == 0


PLAN_AND_QUEUE = """
import django; django.setup()
from datetime import date
from ratepayer.billing import billrun
from ratepayer.billing.tasks import work_on_bill_run
from ratepayer.customers.models import BillCycle
run = billrun.plan_run(cycle=BillCycle.objects.get(code="K1"), period_end=date(2025, 2, 14), chunk_accounts=10)
work_on_bill_run.enqueue(run.pk)
"""


def _wait_for(predicate, seconds: float, what: str, proc=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the worker exited while waiting for {what}: {proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_workers_run_is_finished_by_another_worker_by_itself(database):
    """A worker (with RATEPAYER_DEBUG=1, where db_worker would run under the
    autoreloader) is killed with SIGKILL mid-run; nobody starts the run again;
    another worker finds the abandoned chunks once their claims are stale and
    finishes the run: exactly one bill per account."""
    database.prepare(accounts=600)
    subprocess.run([sys.executable, "-c", PLAN_AND_QUEUE], env=database.env, cwd=ROOT, check=True, timeout=600)

    def done():
        return database.query("SELECT COUNT(*) FROM billing_billrunchunk WHERE status = 'done'")[0][0]

    first = subprocess.Popen([*RATEPAYER, "worker", "--interval", "0.1"], env=database.env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_for(lambda: done() >= 5, 300, "5 chunks billed by the first worker", first)
    finally:
        os.kill(first.pid, signal.SIGKILL)  # the PID alone: an autoreloader's child would live on
        first.wait()
    settled = done()
    time.sleep(1.5)
    assert done() == settled < 60, "something went on billing after the worker was killed"
    assert database.query("SELECT status FROM billing_billrun")[0][0] == "running"

    second = subprocess.Popen([*RATEPAYER, "worker", "--interval", "0.1", "--sweep-interval", "0.2",
                               "--claim-timeout", "1"], env=database.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: database.query("SELECT status FROM billing_billrun")[0][0] == "finished", 300,
                  "the second worker to finish the abandoned run", second)
    finally:
        second.terminate()
        second.wait(timeout=60)
    assert done() == 60
    bills, accounts = database.query("SELECT COUNT(*), COUNT(DISTINCT account_id) FROM billing_bill "
                                     "WHERE status <> 'cancelled'")[0]
    assert bills == accounts == 600
    entries = database.query("SELECT COUNT(*) FROM ledger_journalentry WHERE idempotency_key LIKE 'bill:%'")[0][0]
    assert entries == database.query("SELECT COUNT(*) FROM billing_bill WHERE status = 'issued'")[0][0]
    assert database.ratepayer("ledger", "check").returncode == 0
