from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from ratepayer.ledger import checks
from ratepayer.ledger.actions import Line, PostingRules, post, reverse
from ratepayer.ledger.errors import LedgerError, MissingPostingRule, UnbalancedEntry
from ratepayer.ledger.models import ARBalance, JournalEntry, JournalLine

D = Decimal


def bill_lines(u, amount="100.00"):
    return [
        Line("142", debit=D(amount), account_id=u.account.pk, agreement_id=u.electric.pk),
        Line("440", credit=D(amount), account_id=u.account.pk, agreement_id=u.electric.pk),
    ]


def test_post_updates_the_cached_balance_in_the_same_transaction(utility):
    entry = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=bill_lines(utility))
    assert entry.lines.count() == 2
    assert ARBalance.objects.get(agreement=utility.electric).balance == D("100.00")
    post(event="payment", effective_date=date(2025, 2, 10), description="payment", lines=[
        Line("131.1", debit=D("40.00")),
        Line("142", credit=D("40.00"), account_id=utility.account.pk, agreement_id=utility.electric.pk),
    ])
    assert ARBalance.objects.get(agreement=utility.electric).balance == D("60.00")
    assert checks.run_all()["ok"]


@pytest.mark.parametrize("lines, message", [
    ([Line("142", debit=D("10.00"), account_id=1, agreement_id=1), Line("440", credit=D("9.99"))], "debits 10.00"),
    ([Line("131.1", debit=D("10.00"))], "at least two lines"),
    ([Line("131.1", debit=D("10.00"), credit=D("1.00")), Line("440", credit=D("9.00"))], "not both"),
    ([Line("131.1", debit=D("-10.00")), Line("440", credit=D("-10.00"))], "negative"),
    ([Line("131.1", debit=D("10.005")), Line("440", credit=D("10.005"))], "fractions of a cent"),
])
def test_unbalanced_or_malformed_entries_are_refused_and_write_nothing(utility, lines, message):
    before = JournalLine.objects.count()
    with pytest.raises(UnbalancedEntry, match=message):
        post(event="x", effective_date=date(2025, 1, 1), description="bad", lines=lines)
    assert JournalLine.objects.count() == before


def test_receivable_lines_must_name_account_and_agreement(utility):
    with pytest.raises(LedgerError, match="must name the customer account"):
        post(event="x", effective_date=date(2025, 1, 1), description="bad",
             lines=[Line("142", debit=D("5.00")), Line("440", credit=D("5.00"))])
    assert not JournalEntry.objects.exists()


def test_reversal_mirrors_the_original_once(utility):
    entry = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=bill_lines(utility))
    rev = reverse(entry=entry, effective_date=date(2025, 2, 1), description="cancel bill")
    assert rev.reverses_id == entry.pk
    assert ARBalance.objects.get(agreement=utility.electric).balance == D("0.00")
    with pytest.raises(LedgerError, match="already been reversed"):
        reverse(entry=entry, effective_date=date(2025, 2, 1), description="again")
    with pytest.raises(LedgerError, match="itself a reversal"):
        reverse(entry=rev, effective_date=date(2025, 2, 1), description="undo")
    assert checks.run_all()["ok"]


def test_idempotency_key_makes_a_repeat_a_no_op(utility):
    first = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill",
                 lines=bill_lines(utility), idempotency_key="bill:1")
    second = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill",
                  lines=bill_lines(utility), idempotency_key="bill:1")
    assert first.pk == second.pk
    assert ARBalance.objects.get(agreement=utility.electric).balance == D("100.00")


def test_posting_rules_pick_the_most_specific_rule(db):
    rules = PostingRules()
    assert rules.accounts("bill_charge", "electric", "residential") == ("142", "440")
    assert rules.accounts("bill_charge", "water", "commercial") == ("142", "461.2")
    assert rules.accounts("late_fee", "water", "residential") == ("142", "470")
    assert rules.accounts("late_fee", "electric", "residential") == ("142", "450")
    with pytest.raises(MissingPostingRule, match="no_such_event"):
        rules.accounts("no_such_event", "electric", "residential")


def test_journal_rows_cannot_be_updated_or_deleted_in_sql(utility, guarded_deletes):
    entry = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=bill_lines(utility))
    line = entry.lines.first()
    with pytest.raises(TypeError):
        line.save()
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_journalline SET debit = 1 WHERE id = %s", [line.pk])
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_journalline WHERE id = %s", [line.pk])
    assert JournalLine.objects.filter(pk=line.pk, debit=D("100.00")).exists()


def _drop_guards(cursor):
    if connection.vendor == "sqlite":
        cursor.execute("DROP TRIGGER ledger_journalline_no_update")
    else:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run pending checks so the table can be altered
        cursor.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER USER")


def test_ledger_check_names_a_line_tampered_in_sql(utility):
    entry = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=bill_lines(utility))
    assert checks.run_all()["ok"]
    line = entry.lines.get(gl_account__number="440")
    with connection.cursor() as cursor:
        _drop_guards(cursor)
        cursor.execute("UPDATE ledger_journalline SET credit = 90 WHERE id = %s", [line.pk])
    report = checks.run_all()
    assert not report["ok"]
    failed = {c["name"]: c for c in report["checks"] if not c["ok"]}
    assert "trial_balance" in failed and "out by 10.00" in failed["trial_balance"]["detail"]
    assert any(f"JE{entry.pk}" in f for f in failed["entries_balanced"]["failures"])


def test_ledger_check_names_a_tampered_cached_balance(utility):
    post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=bill_lines(utility))
    ARBalance.objects.filter(agreement=utility.electric).update(balance=D("1.00"))
    report = checks.run_all()
    failed = {c["name"]: c for c in report["checks"] if not c["ok"]}
    assert set(failed) == {"ar_subledger_equals_control", "cached_balances"}
    assert f"agreement {utility.electric.pk}: cached balance 1.00" in failed["cached_balances"]["failures"][0]


@pytest.mark.postgres_only("the balance trigger is PostgreSQL's; SQLite relies on the Python check")
def test_postgres_trigger_refuses_unbalanced_lines_and_split_entries(utility):
    # the trigger runs at the end of each INSERT statement, so a savepoint shows it (no commit needed)
    entry = post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=bill_lines(utility))
    lines_before = JournalLine.objects.count()
    # a line added later to a posted entry unbalances it: refused by the statement trigger
    with pytest.raises(IntegrityError, match="not balanced"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_journalline (entry_id, gl_account_id, debit, credit, memo) "
                "SELECT %s, id, 10, 0, '' FROM ledger_glaccount WHERE number = '131'", [entry.pk])
    # a balanced pair written in two statements: the first statement alone is unbalanced
    with pytest.raises(IntegrityError, match="not balanced"), transaction.atomic():
        split = JournalEntry.objects.create(event="x", effective_date=date(2025, 1, 1), description="split")
        with connection.cursor() as cursor:
            for debit, credit in ((10, 0), (0, 10)):
                cursor.execute(
                    "INSERT INTO ledger_journalline (entry_id, gl_account_id, debit, credit, memo) "
                    "SELECT %s, id, %s, %s, '' FROM ledger_glaccount WHERE number = '131'", [split.pk, debit, credit])
    assert JournalLine.objects.count() == lines_before
    assert not JournalEntry.objects.filter(event="x").exists()
    assert checks.run_all()["ok"]
