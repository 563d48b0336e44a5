"""ratepayer.db.bulk: set-based inserts and the ``__among`` lookup, on both databases."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ratepayer.customers.models import Account
from ratepayer.db.bulk import insert_rows
from ratepayer.ledger.models import JournalEntry
from ratepayer.staff.models import AuditEvent


def test_insert_rows_returns_the_ids_of_its_rows_in_order(db):
    before = JournalEntry.objects.count()
    rows = [("x", date(2025, 1, i), f"entry {i}", "", None, f"bulk:{i}", None, None, timezone.now())
            for i in range(1, 29)]
    with transaction.atomic():
        ids = insert_rows(JournalEntry, ("event", "effective_date", "description", "source_type", "source_id",
                                         "idempotency_key", "reverses_id", "created_by_id", "posted_at"), rows)
    assert len(ids) == len(set(ids)) == 28
    stored = dict(JournalEntry.objects.filter(pk__in=ids).values_list("pk", "idempotency_key"))
    assert [stored[pk] for pk in ids] == [f"bulk:{i}" for i in range(1, 29)]
    assert JournalEntry.objects.count() == before + 28
    # the ORM's own inserts carry on after them
    nxt = JournalEntry.objects.create(event="x", effective_date=date(2025, 2, 1), description="after")
    assert nxt.pk > max(ids)


def test_insert_rows_converts_json_and_is_refused_whole_by_a_constraint(db):
    columns = ("event", "effective_date", "description", "source_type", "source_id", "idempotency_key",
               "reverses_id", "created_by_id", "posted_at")
    row = ("x", date(2025, 1, 1), "one", "", None, "dup", None, None, timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(JournalEntry, columns, [row, row])
    assert not JournalEntry.objects.filter(idempotency_key="dup").exists()
    at = timezone.now()
    with transaction.atomic():
        (pk,) = insert_rows(AuditEvent, ("at", "channel", "action", "object_type", "object_id", "summary", "before",
                                         "after"),
                            [(at, "system", "bulk.test", "", "", "json", {"a": "1.50"}, {"b": [1, 2]})])
    event = AuditEvent.objects.get(pk=pk)
    assert (event.before, event.after, event.at) == ({"a": "1.50"}, {"b": [1, 2]}, at)


def test_insert_rows_keeps_every_character_and_type(utility):
    """COPY text escaping (PostgreSQL) and executemany (SQLite) store the same values."""
    from decimal import Decimal

    from ratepayer.billing.models import Bill

    tricky = ["tab\there", "line\nbreak\r\n", "back\\slash \\N", "\\N", "Łódź — ñandú ✓", "", "'quoted' \"too\""]
    rows = [("x", date(2025, 1, 1), text, "", None, f"chars:{i}", None, None, timezone.now())
            for i, text in enumerate(tricky)]
    with transaction.atomic():
        ids = insert_rows(JournalEntry, ("event", "effective_date", "description", "source_type", "source_id",
                                         "idempotency_key", "reverses_id", "created_by_id", "posted_at"), rows)
    stored = dict(JournalEntry.objects.filter(pk__in=ids).values_list("pk", "description"))
    assert [stored[pk] for pk in ids] == tricky
    with transaction.atomic():
        (bill_id,) = insert_rows(Bill, ("account_id", "period_start", "period_end", "bill_date", "due_date", "status",
                                        "hold_reasons", "current_charges", "previous_balance", "amount_due",
                                        "language", "created_at", "cancel_reason"),
                                 [(utility.account.pk, date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 3),
                                   date(2025, 2, 24), "held", [{"code": "x", "message": "tab\there \\ \"q\""}],
                                   Decimal("-12.30"), Decimal("1E+1"), Decimal("-2.30"), "es", timezone.now(), "")])
    bill = Bill.objects.get(pk=bill_id)
    assert bill.hold_reasons == [{"code": "x", "message": "tab\there \\ \"q\""}]
    assert (bill.current_charges, bill.previous_balance, bill.amount_due) == (Decimal("-12.30"), Decimal("10"),
                                                                              Decimal("-2.30"))
    assert bill.run_id is None and bill.language == "es"


def test_among_matches_like_in_with_one_parameter(utility):
    ids = [utility.account.pk, 10**9]
    with CaptureQueriesContext(connection) as captured:
        found = list(Account.objects.filter(pk__among=ids).values_list("pk", flat=True))
    assert found == [utility.account.pk]
    assert captured.captured_queries[0]["sql"].count(str(10**9)) <= 1
    assert list(Account.objects.filter(number__among=[utility.account.number, "nope"]).values_list("pk", flat=True)) \
        == [utility.account.pk]
    assert not Account.objects.filter(pk__among=[]).exists()


def test_gc_paused_pauses_for_the_batch_and_nests():
    import gc

    from ratepayer.db.bulk import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner batch does not switch it back on
    assert gc.isenabled()

    @gc_paused()
    def batch():
        raise ValueError("a failed batch")

    with pytest.raises(ValueError):
        batch()
    assert gc.isenabled()
