"""Operator commands: payments phone import, payments deposits interest/review,
payments represent list/queue, unclaimed move/report."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError

from ratepayer.payments import actions
from ratepayer.payments.models import Payment, Refund, Representment, SecurityDeposit
from tests.payments.conftest import assert_ledger_ok, charge
from tests.payments.helpers import run_command as run
from tests.payments.test_represent import returned  # noqa: F401 (fixture)

D = Decimal


def test_phone_import_command_is_atomic_and_idempotent(users, utility, tmp_path):
    charge(utility.electric, "80.00", date(2025, 2, 1))
    path = tmp_path / "ivr-0304.csv"
    path.write_text("settlement_date,transaction_id,account,amount,card_brand,last4\n"
                    f"2025-03-04,T1,{utility.account.number},80.00,VISA,4242\nTRAILER,1,80.00\n")
    code, out, err = run("payments", "phone", "import", str(path), "--user", "specialist", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["payments"] == 1
    code, out, err = run("payments", "phone", "import", str(path))
    assert code == 1 and "ivr-0304.csv: this file was already imported" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("settlement_date,transaction_id,account,amount,card_brand,last4\n2025-03-04,T9,1,5,VISA,42\nTRAILER,1,5.00\n")
    code, out, err = run("payments", "phone", "import", str(bad))
    assert code == 1 and "bad.csv: line 2: last4:" in err
    with pytest.raises(CommandError, match="not allowed"):
        run("payments", "phone", "import", str(bad), "--user", "assistant")
    assert Payment.objects.count() == 1
    assert_ledger_ok()


def test_deposit_interest_and_review_commands(users, utility, drawer):
    deposit = actions.require_deposit(user=users["specialist"], account=utility.account, amount="100.00",
                                      reason="no history", required_on=date(2025, 3, 1))
    actions.receive_deposit(user=users["assistant"], session=drawer, deposit=deposit, tender="cash", amount="100")
    actions.set_interest_rate(user=users["supervisor"], effective_from=date(2025, 1, 1), annual_rate="3.65")
    code, out, _ = run("payments", "deposits", "interest", "--date", "2025-04-02", "--format", "json")
    assert json.loads(out)["interest"] == "0.30"  # 100 × 3.65% × 30/365
    code, out, _ = run("payments", "deposits", "review", "--date", "2026-03-03", "--format", "json")
    assert [r["account"] for r in json.loads(out)] == [utility.account.number]
    with pytest.raises(CommandError, match="--release needs --user"):
        run("payments", "deposits", "review", "--date", "2026-03-03", "--release")
    code, out, _ = run("payments", "deposits", "review", "--date", "2026-03-03", "--release", "--user", "specialist",
                       "--format", "json")
    (row,) = json.loads(out)
    assert row["refund"] == "103.65" and row["refund_status"] == "issued"
    assert SecurityDeposit.objects.get().status == "released"
    assert_ledger_ok()


def test_represent_commands(users, returned):  # noqa: F811
    code, out, _ = run("payments", "represent", "list", "--date", "2025-03-12", "--format", "json")
    (row,) = json.loads(out)
    assert row["code"] == "R01" and row["attempt"] == 1
    with pytest.raises(CommandError, match="not allowed"):
        run("payments", "represent", "queue", str(row["return_id"]), "--user", "assistant", "--date", "2025-03-12")
    code, out, _ = run("payments", "represent", "queue", str(row["return_id"]), "--user", "specialist",
                       "--date", "2025-03-12")
    assert "attempt 1" in out and Representment.objects.get().status == "queued"


def test_unclaimed_move_and_report_commands(users, utility, drawer, tmp_path):
    actions.take_payment(user=users["assistant"], session=drawer, account=utility.account, tender="cash",
                         amount="50.00")
    refund = actions.request_refund(user=users["specialist"], agreement=utility.electric, amount="50.00",
                                    method="check", payee="Jane Doe", payee_address="1204 Pine St",
                                    reason="overpayment")
    on = refund.issued_on + timedelta(days=365)
    code, out, _ = run("unclaimed", "move", "--date", on.isoformat(), "--user", "specialist")
    assert out.startswith("1 refund check(s) voided") and Refund.objects.get().status == "unclaimed"
    year = on.year + (1 if on.month > 6 else 0)
    path = tmp_path / "up.csv"
    code, out, _ = run("unclaimed", "report", "--year", str(year), "--output", str(path))
    assert out.endswith("1 item(s)\n") and "Jane Doe,1204 Pine St,50.00," in path.read_text()
    assert_ledger_ok()
