"""The operator commands: lockbox import, ach returns import, bank import, autopay run."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import CommandError

from ratepayer.payments import actions
from ratepayer.payments.models import AchEntry, BankLine, Payment, ReturnedPayment
from tests.payments.conftest import charge
from tests.payments.helpers import bai2_file, lockbox_file, return_file, stub
from tests.payments.helpers import run_command as run


def test_lockbox_import_command_is_idempotent(users, utility, tmp_path):
    charge(utility.electric, "80.00", date(2025, 2, 1))
    path = tmp_path / "lbx0304.txt"
    path.write_bytes(lockbox_file([("80.00", "7", [stub(utility.account.number, "80.00")])]))
    code, out, err = run("lockbox", "import", str(path), "--user", "specialist", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["payments"] == 1
    code, out, err = run("lockbox", "import", str(path))
    assert code == 1 and "lbx0304.txt: this file was already imported" in err and "nothing was imported" in err
    assert Payment.objects.count() == 1
    with pytest.raises(CommandError, match="not allowed"):
        run("lockbox", "import", str(path), "--user", "auditor")


def test_truncated_lockbox_names_the_line(users, utility, tmp_path):
    path = tmp_path / "cut.txt"
    content = lockbox_file([("80.00", "7", [stub(utility.account.number, "80.00")])]).decode().splitlines()
    path.write_text("\n".join(content[:-2]) + "\n")
    code, out, err = run("lockbox", "import", str(path))
    assert code == 1 and "cut.txt: line" in err and not Payment.objects.exists()


def test_autopay_run_and_ach_returns_import(users, utility, tmp_path):
    charge(utility.electric, "80.00", date(2025, 2, 1))
    actions.enroll_autopay(user=users["specialist"], account=utility.account, holder_name="DOE JANE",
                           routing_number="021000021", bank_account_number="123456789", account_type="checking",
                           draft_day=10, start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 1),
                           authorization="signed form", prenote=False)
    output = tmp_path / "out.ach"
    code, out, err = run("autopay", "run", "--date", "2025-03-07", "--format", "json", "--output", str(output))
    assert code == 0 and json.loads(out)["debits"] == 1
    code, out, err = run("ach", "check", str(output))
    assert code == 0 and "valid" in out
    run("autopay", "run", "--date", "2025-03-10")
    trace = AchEntry.objects.get().trace_number
    returns = tmp_path / "ret.ach"
    returns.write_bytes(return_file([(trace, "R03", "021000021", "123456789", "80.00")]))
    code, out, err = run("ach", "returns", "import", str(returns), "--user", "specialist", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["returns"] == 1 and ReturnedPayment.objects.get().autopay_stopped
    with pytest.raises(CommandError, match="--date"):
        run("autopay", "run", "--date", "10/03/2025")


def test_bank_import_command(users, utility, tmp_path):
    path = tmp_path / "bai.txt"
    path.write_bytes(bai2_file(date(2025, 3, 11), [("301", "10.00", "X1", "DEPOSIT")]))
    code, out, err = run("bank", "import", str(path), "--format", "json")
    assert code == 0 and json.loads(out)["exception"] == 1
    assert BankLine.objects.get().status == "exception"
