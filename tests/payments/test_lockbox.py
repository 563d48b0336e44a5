"""Lockbox import: scan-line matching, multi-stub checks, suspense, atomic and idempotent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from ratepayer.formats import lockbox
from ratepayer.ledger.models import JournalEntry, JournalLine
from ratepayer.payments import actions
from ratepayer.payments.errors import ImportRefused, PaymentError
from ratepayer.payments.models import Deposit, ImportedFile, Payment, SuspenseItem
from ratepayer.staff.errors import PermissionRefused
from tests.payments.conftest import assert_ledger_ok, balance, charge
from tests.payments.helpers import lockbox_file, second_account, stub

D = Decimal


@pytest.fixture
def two_accounts(users, utility):
    charge(utility.electric, "120.00", date(2025, 2, 1))
    charge(utility.water, "30.00", date(2025, 1, 15))
    account2, water2 = second_account(users["specialist"], utility)
    charge(water2, "75.00", date(2025, 2, 1))
    return utility, account2, water2


def sample(u, account2):
    bad = stub(u.account.number, "10.00")
    bad.scan_line = bad.scan_line[:-1] + str((int(bad.scan_line[-1]) + 1) % 10)  # misread check digit
    return lockbox_file([
        ("150.00", "1001", [stub(u.account.number, "150.00")]),
        # one check paying two bills: the scan line stub and an overflow stub with its amount
        ("100.00", "1002", [stub(account2.number, "75.00"), stub(u.account.number, "0", applied="25.00")]),
        ("10.00", "1003", [bad]),
        ("44.00", "1004", [stub("99999997", "44.00")]),
    ])


def test_lockbox_posts_by_scan_line_and_holds_the_rest_in_suspense(users, two_accounts):
    u, account2, water2 = two_accounts
    imported = actions.import_lockbox(user=users["specialist"], content=sample(u, account2), name="lbx0304.txt")
    assert imported.item_count == 4 and imported.total == D("304.00")
    assert imported.summary["payments"] == 3 and imported.summary["suspense"] == 2
    by_account = {(p.account_id, p.amount) for p in Payment.objects.filter(tender="lockbox")}
    assert by_account == {(u.account.pk, D("150.00")), (account2.pk, D("75.00")), (u.account.pk, D("25.00"))}
    assert balance(water2) == D("0.00")
    assert balance(u.water) == D("0.00") and balance(u.electric) == D("-25.00")
    reasons = sorted(s.reason for s in SuspenseItem.objects.all())
    assert reasons[0] == "account 99999997 not found" and reasons[1].startswith("unreadable stub (check digit")
    deposit = Deposit.objects.get(kind="lockbox")
    assert deposit.amount == D("304.00") and deposit.item_count == 4
    # cash clearing emptied into the bank; unapplied cash is a liability until researched
    assert sum(x.credit - x.debit for x in JournalLine.objects.filter(gl_account__number="253.1")) == D("54.00")
    assert_ledger_ok()


def test_the_same_lockbox_file_twice_posts_once(users, two_accounts):
    u, account2, _ = two_accounts
    content = sample(u, account2)
    actions.import_lockbox(user=users["specialist"], content=content, name="lbx0304.txt")
    state = (Payment.objects.count(), SuspenseItem.objects.count(), JournalEntry.objects.count())
    with pytest.raises(ImportRefused, match="already imported"):
        actions.import_lockbox(user=users["specialist"], content=content, name="lbx0304-again.txt")
    # same items re-sent by the bank in a different file
    resent = content.replace(b"2503040600", b"2503040700")
    assert resent != content
    with pytest.raises(ImportRefused, match="was already imported from another file"):
        actions.import_lockbox(user=users["specialist"], content=resent, name="lbx0304-resent.txt")
    assert (Payment.objects.count(), SuspenseItem.objects.count(), JournalEntry.objects.count()) == state
    assert ImportedFile.objects.count() == 1
    assert_ledger_ok()


def test_truncated_or_corrupted_files_are_refused_whole(users, two_accounts):
    u, account2, _ = two_accounts
    content = sample(u, account2).decode()
    records = content.splitlines()
    truncated = "\n".join(records[:-3]) + "\n"
    with pytest.raises(ImportRefused) as refused:
        actions.import_lockbox(user=users["specialist"], content=truncated.encode(), name="cut.txt")
    assert "line" in str(refused.value)
    corrupted = content.replace("0000015000", "0000015900", 1)
    with pytest.raises(ImportRefused, match=r"line \d+: .*(total|amount)"):
        actions.import_lockbox(user=users["specialist"], content=corrupted.encode(), name="bad.txt")
    assert not Payment.objects.exists() and not ImportedFile.objects.exists() and not SuspenseItem.objects.exists()


def test_csv_lockbox_with_a_column_map(users, two_accounts):
    u, account2, water2 = two_accounts
    text = ("Box,Date,Batch,Seq,Amt,ABA,DDA,CheckNo,Acct,Paid\n"
            f"777,03/04/2025,1,1,100.00,021000021,5551212,201,{account2.number},75.00\n"
            f"777,03/04/2025,1,1,100.00,021000021,5551212,201,{u.account.number},25.00\n"
            f"777,03/04/2025,1,2,12.00,021000021,5551213,202,{u.account.number},12.00\n"
            "TRAILER,2,112.00\n")
    layout = lockbox.CsvLayout(lockbox="Box", deposit_date="Date", batch="Batch", item="Seq", amount="Amt",
                               routing="ABA", account="DDA", check_number="CheckNo", stub_account="Acct",
                               stub_amount="Paid", date_format="%m/%d/%Y")
    imported = actions.import_lockbox(user=users["specialist"], content=text.encode(), name="box777.csv",
                                      csv_layout=layout)
    assert imported.summary == {**imported.summary, "payments": 3, "suspense": 0, "format": "csv"}
    assert balance(water2) == D("0.00")
    assert Deposit.objects.get().amount == D("112.00")
    assert_ledger_ok()


def test_suspense_is_researched_and_applied_by_a_specialist(users, two_accounts):
    u, account2, water2 = two_accounts
    actions.import_lockbox(user=users["specialist"], content=sample(u, account2), name="lbx.txt")
    item = SuspenseItem.objects.get(reason="account 99999997 not found")
    with pytest.raises(PermissionRefused):
        actions.apply_suspense(user=users["assistant"], item=item, account=account2)
    payment = actions.apply_suspense(user=users["specialist"], item=item, account=u.account,
                                     note="customer called: typo on the stub")
    assert payment.tender == "suspense" and payment.amount == D("44.00")
    assert payment.journal_entry.event == "suspense_apply"
    item.refresh_from_db()
    assert item.status == "applied" and item.applied_payment == payment
    with pytest.raises(PaymentError, match="already applied"):
        actions.apply_suspense(user=users["specialist"], item=item, account=u.account)
    assert sum(x.credit - x.debit for x in JournalLine.objects.filter(gl_account__number="253.1")) == D("10.00")
    assert_ledger_ok()


@pytest.mark.parametrize("checks", [300, 1500, 2500])
def test_import_is_set_based(users, utility, django_assert_max_num_queries, checks):
    """No query per check: a fixed number of queries per file (1,500 checks
    take no more than 300), and a fixed number more per 2,000 payments."""
    charge(utility.electric, "10.00", date(2025, 2, 1))
    items = [(f"{1 + n % 7}.00", str(5000 + n), [stub(utility.account.number, "1.00")]) for n in range(checks)]
    content = lockbox_file(items, per_batch=300)
    # 47: one of them is the payments hook asking whether any payer has a written-off balance (collections)
    with django_assert_max_num_queries(47 + 20 * ((checks - 1) // 2000)):
        actions.import_lockbox(user=users["specialist"], content=content, name="big.txt")
    assert Payment.objects.count() == checks
    assert_ledger_ok()


def test_only_payment_staff_import_files(users, two_accounts):
    u, account2, _ = two_accounts
    for name in ("assistant", "auditor", "kam"):
        with pytest.raises(PermissionRefused):
            actions.import_lockbox(user=users[name], content=sample(u, account2), name="x.txt")
    assert not ImportedFile.objects.exists()


def test_file_date_in_writer_is_what_resend_detection_changes():
    # guards the byte replacement used above: the header carries YYMMDDHHMM
    assert b"2503040600" in lockbox_file([("1.00", "1", [stub("10000016", "1.00")])])
    assert datetime(2025, 3, 4, 6, 0)
