"""ratepayer.bulk: set-based inserts and the ``__among`` lookup, on both databases."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ratepayer.bulk import insert_rows
from ratepayer.customers.models import Account
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


def test_among_matches_like_in_with_one_parameter(utility):
    ids = [utility.account.pk, 10**9]
    with CaptureQueriesContext(connection) as captured:
        found = list(Account.objects.filter(pk__among=ids).values_list("pk", flat=True))
    assert found == [utility.account.pk]
    assert captured.captured_queries[0]["sql"].count(str(10**9)) <= 1
    assert list(Account.objects.filter(number__among=[utility.account.number, "nope"]).values_list("pk", flat=True)) \
        == [utility.account.pk]
    assert not Account.objects.filter(pk__among=[]).exists()
