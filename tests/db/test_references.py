"""Keys checked per statement (ratepayer.db.references) refuse what a foreign key refuses, on both databases."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from ratepayer.db.references import trigger_names
from ratepayer.ledger.actions import Line, post
from ratepayer.ledger.models import GLAccount, JournalEntry, JournalLine

D = Decimal
pytestmark = pytest.mark.django_db


def statement_checked_keys() -> dict[str, dict[str, str]]:
    """table -> {column: referenced table} for every ForeignKey of ours with db_constraint=False."""
    out: dict[str, dict[str, str]] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("ratepayer."):
            continue
        for f in model._meta.local_fields:
            if isinstance(f, models.ForeignKey) and not f.db_constraint:
                out.setdefault(model._meta.db_table, {})[f.column] = f.related_model._meta.db_table
    return out


def existing_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def test_every_unconstrained_key_of_ours_is_checked_by_triggers():
    keys = statement_checked_keys()
    assert {"ledger_journalline", "billing_bill", "billing_billsegment", "billing_billline", "payments_payment",
            "payments_paymentapplication"} <= set(keys)
    have = existing_triggers()
    for table, references in keys.items():
        missing = trigger_names(connection.vendor, table, references) - have
        assert not missing, f"{table}: no trigger {sorted(missing)} — a migration rebuilt the table? " \
                            f"add StatementReferences({table!r}, ...) after it"


def cash_entry(amount="25.00") -> JournalEntry:
    return post(event="test", effective_date=date(2025, 1, 31), description="cash to revenue",
                lines=[Line("131.1", debit=D(amount)), Line("440", credit=D(amount))])


def test_a_line_naming_a_missing_gl_account_or_agreement_is_refused_and_writes_nothing(utility):
    entry = cash_entry()
    before = JournalLine.objects.count()
    bad = [("gl_account_id", 987654), ("agreement_id", 987654), ("entry_id", 987654)]
    for column, value in bad:
        values = {"entry_id": entry.pk, "gl_account_id": GLAccount.objects.get(number="131.1").pk,
                  "account_id": utility.account.pk, "agreement_id": utility.electric.pk, column: value}
        with pytest.raises(IntegrityError, match=f"{column}.*(is not in|foreign key)|foreign key.*{column}"), \
                transaction.atomic(), connection.cursor() as cursor:
            # a balanced pair in one statement, so only the key can be wrong
            cursor.execute(
                "INSERT INTO ledger_journalline (entry_id, gl_account_id, debit, credit, account_id, agreement_id, memo) "
                "VALUES (%s, %s, 5, 0, %s, %s, ''), (%s, %s, 0, 5, %s, %s, '')",
                [values["entry_id"], values["gl_account_id"], values["account_id"], values["agreement_id"]] * 2)
    assert JournalLine.objects.count() == before


def test_a_referenced_row_cannot_be_deleted_in_sql(utility, guarded_deletes):
    cash_entry()
    gl = GLAccount.objects.get(number="440")
    with pytest.raises(IntegrityError, match="still referenced from ledger_journalline.gl_account_id"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_glaccount WHERE id = %s", [gl.pk])
    assert GLAccount.objects.filter(pk=gl.pk).exists()
    # an unreferenced one can go
    spare = GLAccount.objects.create(number="999.9", name="spare", kind=gl.kind)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_glaccount WHERE id = %s", [spare.pk])
    assert not GLAccount.objects.filter(pk=spare.pk).exists()


def test_an_update_to_a_missing_key_is_refused(utility):
    from ratepayer.billing.models import Bill

    bill = Bill.objects.create(account=utility.account, period_start=date(2025, 1, 1), period_end=date(2025, 1, 31),
                               bill_date=date(2025, 2, 3), due_date=date(2025, 2, 24), status=Bill.Status.HELD,
                               current_charges=D("0.00"), amount_due=D("0.00"))
    with pytest.raises(IntegrityError, match="account_id"), transaction.atomic():
        Bill.objects.filter(pk=bill.pk).update(account_id=987654)
    bill.refresh_from_db()
    assert bill.account_id == utility.account.pk


@pytest.mark.postgres_only("SQLite has one writer at a time: no concurrent delete to race with")
@pytest.mark.django_db(transaction=True)
def test_a_delete_waits_for_a_transaction_still_writing_a_reference_and_is_then_refused():
    """The race a foreign key's row lock prevents: B deletes a GL account while A's
    uncommitted lines name it. B must wait for A and then refuse."""
    import threading

    import psycopg

    settings = connection.settings_dict
    dsn = dict(host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
               password=settings["PASSWORD"] or None, dbname=settings["NAME"])
    with psycopg.connect(**dsn, autocommit=True) as setup:
        gl_id = setup.execute("INSERT INTO ledger_glaccount (number, name, kind, system, is_receivable_control, "
                              "is_active) VALUES ('999.8', 'race', 'asset', 'local', false, true) RETURNING id"
                              ).fetchone()[0]
    outcome: dict = {}

    def delete():
        with psycopg.connect(**dsn, autocommit=True) as deleter:
            try:
                deleter.execute("DELETE FROM ledger_glaccount WHERE id = %s", [gl_id])
                outcome["deleted"] = True
            except psycopg.errors.ForeignKeyViolation as exc:
                outcome["refused"] = str(exc)

    with psycopg.connect(**dsn) as writer:  # commits on leaving the block, rolls back on an error
        entry_id = writer.execute("INSERT INTO ledger_journalentry (event, effective_date, posted_at, description, "
                                  "source_type) VALUES ('race', '2025-01-01', now(), 'race', '') RETURNING id"
                                  ).fetchone()[0]
        writer.execute("INSERT INTO ledger_journalline (entry_id, gl_account_id, debit, credit, memo) "
                       "VALUES (%s, %s, 5, 0, ''), (%s, %s, 0, 5, '')", [entry_id, gl_id] * 2)
        thread = threading.Thread(target=delete)
        thread.start()
        thread.join(timeout=1.5)
        waited = thread.is_alive()
    thread.join(timeout=30)
    assert waited, f"the delete did not wait for the writing transaction: {outcome}"
    assert "still referenced from ledger_journalline.gl_account_id" in outcome.get("refused", ""), outcome
    assert GLAccount.objects.filter(pk=gl_id).exists()
