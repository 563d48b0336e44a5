"""Payment and bank files through the database: refused whole, or right (issue 10,
points 6, 8 and 10). The mutation corpus here runs the representative subset of
tests/refusals.py through each import (lockbox CSV and fixed-width, BAI2 bank
statement, NACHA returns, pay-by-phone); every variant is run against the pure
readers in tests/formats/test_mutation_corpus.py. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from ratepayer.formats import lockbox
from ratepayer.payments import actions
from ratepayer.payments.errors import ImportRefused, PaymentError
from ratepayer.payments.models import BankLine, ImportedFile, Payment, ReturnedPayment, SuspenseItem
from tests.formats import mutations, samples
from tests.payments.conftest import assert_ledger_ok, charge
from tests.payments.helpers import second_account
from tests.refusals import assert_harmless_changes_import_as_the_original, assert_refused_whole, table_counts

D = Decimal


@pytest.fixture
def accounts(users, utility):
    charge(utility.electric, "120.00", date(2025, 2, 1))
    account2, water2 = second_account(users["specialist"], utility)
    charge(water2, "75.00", date(2025, 2, 1))
    return [utility.account.number, account2.number]


def _payments():
    return sorted((p.account.number, p.amount, p.tender, p.external_reference)
                  for p in Payment.objects.select_related("account"))


def _payments_and_suspense():
    return _payments(), sorted((s.amount, s.reason, s.external_reference) for s in SuspenseItem.objects.all())


IMPORTERS = {
    "lockbox CSV": (samples.lockbox_csv, lambda user, data, name: actions.import_lockbox(
        user=user, content=data, name=name, csv_layout=lockbox.CsvLayout()), _payments_and_suspense),
    "lockbox fixed-width": (samples.lockbox_fixed, lambda user, data, name: actions.import_lockbox(
        user=user, content=data, name=name), _payments_and_suspense),
    "pay-by-phone CSV": (samples.phone_csv, lambda user, data, name: actions.import_phone_payments(
        user=user, content=data, name=name), _payments_and_suspense),
    "BAI2 bank statement": (lambda accounts: samples.bai2(), lambda user, data, name: actions.import_bank_statement(
        user=user, content=data, name=name),
        lambda: sorted((b.type_code, b.amount, b.bank_reference, b.text, b.status) for b in BankLine.objects.all())),
    "NACHA returns": (lambda accounts: samples.nacha_returns(), lambda user, data, name: actions.import_ach_returns(
        user=user, content=data, name=name),
        lambda: sorted((r.external_reference, r.return_code, r.amount) for r in ReturnedPayment.objects.all())),
}


@pytest.mark.parametrize("kind", IMPORTERS)
def test_damaged_files_are_refused_whole_with_every_table_unchanged(kind, users, accounts):
    build, do_import, _ = IMPORTERS[kind]
    tried = assert_refused_whole(lambda data, name: do_import(users["specialist"], data, name), ImportRefused,
                                 build(accounts))
    assert len(tried) >= 8, tried
    assert not ImportedFile.objects.exists()


@pytest.mark.parametrize("kind", IMPORTERS)
def test_crlf_and_a_byte_order_mark_import_exactly_as_the_original(kind, users, accounts):
    build, do_import, describe = IMPORTERS[kind]
    assert_harmless_changes_import_as_the_original(lambda data, name: do_import(users["specialist"], data, name),
                                                   describe, build(accounts))


def test_a_truncated_lockbox_csv_posts_nothing_and_the_whole_file_then_posts_all(users, accounts):
    """Issue 10, point 6: cut mid-line, its last check of $21.00 posted as $2.00; cut in
    half, 2 of 5 checks posted and the complete file was then refused as already imported."""
    whole = samples.lockbox_csv(accounts)
    lines = mutations.lines_of(whole)
    last_check = lines[-2]
    assert b",21.00," in last_check
    mid_line = b"".join(lines[:-2]) + last_check[:last_check.index(b"21.00") + 1]  # "...,2"
    half = b"".join(lines[:3])  # header and two checks
    for name, content in (("cut-mid-line.csv", mid_line), ("cut-in-half.csv", half)):
        before = table_counts()
        with pytest.raises(ImportRefused, match=rf"{name}: refused, nothing was imported: line \d+: "):
            actions.import_lockbox(user=users["specialist"], content=content, name=name)
        assert table_counts() == before
    imported = actions.import_lockbox(user=users["specialist"], content=whole, name="whole.csv")
    assert imported.item_count == 5 and imported.total == D("1460.49")
    assert sorted(p.amount for p in Payment.objects.all()) == [D("9.99"), D("21.00"), D("75.00"), D("150.00"),
                                                               D("1204.50")]
    assert_ledger_ok()


def test_a_csv_field_over_the_csv_limit_is_an_error_not_a_traceback(users, accounts):
    """Issue 10, point 8: a field over 131,072 characters raised csv.Error."""
    lines = mutations.lines_of(samples.lockbox_csv(accounts))
    huge = lines[1].replace(b"Payer 1", b"P" * 140_000)
    content = b"".join([lines[0], huge, *lines[2:]])
    with pytest.raises(ImportRefused, match=r"huge.csv: refused, nothing was imported: line 2: file: the line is "
                                            r"140,\d{3} characters long"):
        actions.import_lockbox(user=users["specialist"], content=content, name="huge.csv")


def test_a_nul_byte_never_reaches_a_lockbox_id(users, accounts):
    content = samples.lockbox_csv(accounts).replace(b"0012345,2025-03-04,1,3", b"0012345\x00,2025-03-04,1,3")
    with pytest.raises(ImportRefused, match=r"line 4: file: a NUL character at column 8"):
        actions.import_lockbox(user=users["specialist"], content=content, name="nul.csv")
    assert not Payment.objects.exists()


def test_a_duplicate_payment_is_refused_in_a_clerks_words(users, utility, drawer):
    """Issue 10, point 8: the refusal showed the database constraint's name."""
    from ratepayer.payments.actions.core import PaymentSpec, post_payments

    spec = PaymentSpec(utility.account.pk, D("10.00"), Payment.Tender.CHECK, date(2025, 3, 4), "counter:dup-1", {})
    post_payments([spec], batch=drawer.batch, user=users["assistant"])
    # the race: the check for an existing reference passed before the other session committed
    with pytest.raises(PaymentError) as refused:
        post_payments([spec], batch=drawer.batch, user=users["assistant"])
    message = str(refused.value)
    assert "counter:dup-1" in message and "nothing was posted again" in message
    assert "UNIQUE" not in message.upper() and "constraint" not in message.lower()
    assert Payment.objects.count() == 1


@pytest.mark.postgres_only("SQLite serializes every writer")
@pytest.mark.django_db(transaction=True)
def test_three_sessions_importing_one_file_at_once_post_it_once(users, accounts):
    """Issue 10, point 8: three processes importing the same file posted it once and two
    crashed with IntegrityError. Three threads (three connections) start together; one
    posts, the other two are told the file was imported."""
    content = samples.lockbox_csv(accounts)
    start = threading.Barrier(3)
    outcomes: list[str] = []

    def run():
        try:
            start.wait()
            actions.import_lockbox(user=users["specialist"], content=content, name="same.csv")
            outcomes.append("posted")
        except ImportRefused as exc:
            outcomes.append("refused: " + str(exc))
        except Exception as exc:  # noqa: BLE001 - the defect: anything else reached the user
            outcomes.append(f"crashed: {exc.__class__.__name__}: {exc}")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["posted", "refused", "refused"], outcomes
    assert all("imported" in o for o in outcomes if o.startswith("refused")), outcomes
    assert ImportedFile.objects.count() == 1 and Payment.objects.count() == 5
    assert_ledger_ok()
