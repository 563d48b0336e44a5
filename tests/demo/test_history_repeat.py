"""The demo's history is the same for the same seed and day, and its queries do not grow per account."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ratepayer.billing.models import Bill
from ratepayer.demo import builder
from ratepayer.payments.models import Payment


def fingerprint() -> list:
    return [
        sorted((str(a), str(p), str(c), s) for a, p, c, s in Bill.objects.values_list(
            "account__number", "period_end", "current_charges", "status")),
        sorted((str(a), t, str(m), str(d)) for a, t, m, d in Payment.objects.values_list(
            "account__number", "tender", "amount", "received_on")),
    ]


def test_same_seed_same_history(db):
    prints = []
    for _ in range(2):
        with transaction.atomic():
            builder.build(accounts=40, seed=5, months=2, today=timezone.localdate())
            prints.append(fingerprint())
            transaction.set_rollback(True)
    assert prints[0] == prints[1] and prints[0][0] and prints[0][1]


def test_query_count_of_the_history_does_not_grow_per_account(db):
    counts = []
    for accounts in (80, 240):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            builder.build(accounts=accounts, seed=3, months=2)
            transaction.set_rollback(True)
        counts.append(len(queries.captured_queries))
    # Reads, bill runs, lockbox and ACH files are set-based; counter payments
    # are one action each but capped (COUNTER_CUSTOMERS). 160 more accounts over
    # two months are 320 more bills: a per-bill query alone would add 320.
    assert counts[1] - counts[0] < 300, counts
