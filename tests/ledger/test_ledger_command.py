import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from ratepayer.ledger.actions import Line, post


def test_ledger_check_exits_zero_and_prints_json_on_a_good_ledger(utility, capsys):
    post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=[
        Line("142", debit=Decimal("12.34"), account_id=utility.account.pk, agreement_id=utility.water.pk),
        Line("461.1", credit=Decimal("12.34"), account_id=utility.account.pk, agreement_id=utility.water.pk)])
    call_command("ledger", "check", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert {c["name"] for c in report["checks"]} >= {"trial_balance", "ar_subledger_equals_control", "cached_balances"}


def test_ledger_check_exits_non_zero_naming_the_problem(utility, capsys):
    entry = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=[
        Line("142", debit=Decimal("12.34"), account_id=utility.account.pk, agreement_id=utility.water.pk),
        Line("461.1", credit=Decimal("12.34"), account_id=utility.account.pk, agreement_id=utility.water.pk)])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER ledger_journalline_no_update")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run pending checks so the table can be altered
            cursor.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER USER")
        cursor.execute("UPDATE ledger_journalline SET debit = 99.99 WHERE entry_id = %s AND debit > 0", [entry.pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger", "check")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "FAIL trial_balance" in out
    assert f"journal entry JE{entry.pk}: debits 99.99 ≠ credits 12.34" in out
    assert "ledger check FAILED" in out
