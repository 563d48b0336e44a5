"""The demo's year: reads, bill runs and payments through the real paths."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Avg, Count, Sum
from django.test.utils import CaptureQueriesContext

from ratepayer.billing.models import Bill, BillRun, BillSegment
from ratepayer.demo import builder
from ratepayer.ledger.checks import run_all
from ratepayer.ledger.models import ARBalance
from ratepayer.metering.models import ReadException, RegisterRead
from ratepayer.payments.models import (
    AutopayEnrollment,
    Deposit,
    DrawerSession,
    ImportedFile,
    Payment,
    Refund,
    ReturnedPayment,
)


def test_a_year_of_bills_and_payments_through_the_real_paths(db):
    counts = builder.build(accounts=140, seed=7).counts
    # every cycle billed every month, October 2025 through October 2026
    assert counts["bill_runs"] == BillRun.objects.count() == 20 * builder.MAX_MONTHS
    assert set(BillRun.objects.values_list("status", flat=True)) == {"finished"}
    months = {d.strftime("%Y-%m") for d in BillRun.objects.values_list("period_end", flat=True)}
    assert min(months) == "2025-10" and max(months) == "2026-10" and len(months) == 13
    # each active service has its conversion segment and a segment a month after it
    per_agreement = (BillSegment.objects.filter(agreement__status="active", cancelled=False)
                     .values("agreement").annotate(n=Count("id")).values_list("n", flat=True))
    assert set(per_agreement) == {1 + builder.MAX_MONTHS}
    # nearly all issued; the few held wait in the review queue, some for an open read exception
    held = Bill.objects.filter(status="held")
    assert 1 <= held.count() <= counts["bills_issued"] // 50
    assert any(r["code"] == "usage_problem" and "read exceptions queue" in r["message"]
               for b in held for r in b.hold_reasons)
    assert ReadException.objects.filter(status="open").count() == counts["read_exceptions"] >= 3
    # every schedule assigned rated (no rating errors, no missing rates)
    problems = BillSegment.objects.exclude(problem="").exclude(bill__run__isnull=True)
    assert not problems.exclude(problem__contains="read exceptions").exists(), list(problems.values("problem")[:5])

    # payments by every path: lockbox and ACH files, counter drawers closed and deposited
    tenders = dict(Payment.objects.values_list("tender").annotate(n=Count("id")))
    assert tenders.get("lockbox", 0) > tenders.get("ach", 0) > 0
    assert {"cash", "check"} <= set(tenders)
    kinds = dict(ImportedFile.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds["lockbox"] == counts["lockbox_files"] and kinds["ach_out"] == counts["ach_files"]
    assert kinds["ach_returns"] == 2 and ReturnedPayment.objects.filter(status="processed").count() == 2
    assert Payment.objects.filter(status="reversed", tender="ach").count() == 2
    assert DrawerSession.objects.exclude(status="deposited").count() == 0
    assert DrawerSession.objects.count() == counts["drawer_sessions"] >= 3
    assert Deposit.objects.filter(kind="counter").exists() and Deposit.objects.filter(kind="lockbox").exists()
    enrolled = AutopayEnrollment.objects.count()
    assert 0.1 * 140 <= enrolled <= 0.3 * 140
    assert Refund.objects.count() == counts["refunds"] >= 1

    # balances look real: most paid up, some in arrears, a few credits
    balances = dict(ARBalance.objects.values("account_id").annotate(b=Sum("balance")).values_list("account_id", "b"))
    owing = [b for b in balances.values() if b > 0]
    credit = [b for b in balances.values() if b < 0]
    assert credit and owing and len(owing) < 0.6 * len(balances)
    old_unpaid = Bill.objects.filter(status="issued", run__isnull=False, due_date__lt="2026-06-01",
                                     account_id__in=[a for a, b in balances.items() if b > 0])
    assert old_unpaid.exists()  # arrears for the aging and collections screens

    assert run_all()["ok"] is True
    usage_is_seasonal_and_sized_by_class()


def usage_is_seasonal_and_sized_by_class():
    """(Checked on the same build: a year takes a while to build.)"""
    by_month: dict[tuple[str, str, int], list] = defaultdict(list)
    for service, customer_class, read_date, quantity in BillSegment.objects.filter(
            bill__run__isnull=False, read_date__isnull=False).values_list(
            "service", "customer_class", "read_date", "quantity"):
        by_month[(service, customer_class, read_date.month)].append(quantity)

    def average(service, customer_class, *months):
        values = [q for m in months for q in by_month[(service, customer_class, m)]]
        return sum(values) / len(values)

    assert average("electric", "residential", 1, 2) > Decimal("1.3") * average("electric", "residential", 7, 8)
    assert average("water", "residential", 8, 9) > Decimal("1.5") * average("water", "residential", 1, 2)
    assert 600 < average("electric", "residential", *range(1, 13)) < 1300
    assert average("electric", "commercial", *range(1, 13)) > 5 * average("electric", "residential", *range(1, 13))
    # register reads a month apart for every register meter, from the opening read on
    reads = RegisterRead.objects.filter(source="bulk").values("meter").annotate(n=Count("id"))
    assert {r["n"] for r in reads} == {1 + builder.MAX_MONTHS}
    amounts = Bill.objects.filter(run__isnull=False, status="issued").aggregate(a=Avg("current_charges"))["a"]
    assert Decimal(40) < amounts < Decimal(2000)


def fingerprint() -> list:
    return [
        sorted((str(a), str(p), str(c), s) for a, p, c, s in Bill.objects.values_list(
            "account__number", "period_end", "current_charges", "status")),
        sorted((str(a), t, str(m), str(d)) for a, t, m, d in Payment.objects.values_list(
            "account__number", "tender", "amount", "received_on")),
    ]


def test_same_seed_same_year(db):
    prints = []
    for _ in range(2):
        with transaction.atomic():
            builder.build(accounts=40, seed=5, months=2)
            prints.append(fingerprint())
            transaction.set_rollback(True)
    assert prints[0] == prints[1] and prints[0][0] and prints[0][1]


def test_query_count_of_the_year_does_not_grow_per_account(db):
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
