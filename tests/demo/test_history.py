"""The demo's history, lived day by day through yesterday, checked against
what is in the database, never against the builder's own report."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Avg, Count, Max, Q

from ratepayer.billing.models import Bill, BillLine, BillRun, BillSegment
from ratepayer.customers.models import MeterInstallation, ServiceAgreement
from ratepayer.demo import builder
from ratepayer.ledger.checks import run_all
from ratepayer.ledger.models import JournalEntry
from ratepayer.metering.models import ReadException, RegisterRead
from ratepayer.payments.models import (
    BankLine,
    Deposit,
    DrawerSession,
    ImportedFile,
    Payment,
    ReturnedPayment,
    SuspenseItem,
)

pytestmark = pytest.mark.django_db

# Everything on the receivable control account effective before each bill's
# bill date, summed in whole cents by the database in ONE statement: the
# expected previous balance, computed without the code under test.
PREVIOUS_BALANCES = """
SELECT b.id,
       CAST(ROUND(b.previous_balance * 100) AS BIGINT),
       (SELECT COALESCE(SUM(CAST(ROUND(l.debit * 100) AS BIGINT) - CAST(ROUND(l.credit * 100) AS BIGINT)), 0)
          FROM ledger_journalline l
          JOIN ledger_journalentry e ON e.id = l.entry_id
          JOIN ledger_glaccount g ON g.id = l.gl_account_id
         WHERE l.account_id = b.account_id AND g.is_receivable_control AND e.effective_date < b.bill_date)
  FROM billing_bill b
 WHERE b.run_id IS NOT NULL
"""


# Each bill's lines, segments and totals in whole cents, summed by the database.
BILL_SUMS = """
SELECT b.id,
       CAST(ROUND(b.current_charges * 100) AS BIGINT),
       CAST(ROUND(b.amount_due * 100) AS BIGINT) - CAST(ROUND(b.previous_balance * 100) AS BIGINT),
       (SELECT COALESCE(SUM(CAST(ROUND(s.total * 100) AS BIGINT)), 0)
          FROM billing_billsegment s WHERE s.bill_id = b.id),
       (SELECT COALESCE(SUM(CAST(ROUND(l.amount * 100) AS BIGINT)), 0)
          FROM billing_billline l JOIN billing_billsegment s ON s.id = l.segment_id WHERE s.bill_id = b.id),
       (SELECT COUNT(*) FROM billing_billsegment s WHERE s.bill_id = b.id
           AND CAST(ROUND(s.total * 100) AS BIGINT) <>
               (SELECT COALESCE(SUM(CAST(ROUND(l.amount * 100) AS BIGINT)), 0)
                  FROM billing_billline l WHERE l.segment_id = s.id))
  FROM billing_bill b
 WHERE b.run_id IS NOT NULL
"""


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small demo for the module (a history takes a while to live)."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = builder.build(accounts=90, seed=7, months=4)
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def inside(demo, django_db_blocker):
    with django_db_blocker.unblock():
        yield demo


def test_every_bill_states_the_receivable_owed_before_its_bill_date(inside):
    with connection.cursor() as cursor:
        cursor.execute(PREVIOUS_BALANCES)
        rows = cursor.fetchall()
    assert len(rows) == Bill.objects.filter(run__isnull=False).count() > 200
    wrong = [(bill, stated, owed) for bill, stated, owed in rows if stated != owed]
    assert wrong == []
    # and the payments behind those balances were made: a bill run is not the last thing that happened
    assert Payment.objects.filter(received_on__lt=Bill.objects.aggregate(m=Max("bill_date"))["m"]).count() > 100


def test_every_bills_lines_add_up_to_its_segments_and_its_total(inside):
    with connection.cursor() as cursor:
        cursor.execute(BILL_SUMS)
        rows = cursor.fetchall()
    assert len(rows) > 200
    wrong = [row for row in rows if not (row[1] == row[2] == row[3] == row[4] and row[5] == 0)]
    assert wrong == []  # (bill, current charges, due - previous, segments, lines, segments off their lines)
    assert sum(row[1] for row in rows) > 0


def test_history_runs_through_yesterday_and_nothing_is_dated_later(inside):
    today = inside.today
    assert inside.conversion_date.day == 1
    months = (today.year - inside.conversion_date.year) * 12 + today.month - inside.conversion_date.month
    assert months == 4
    runs = list(BillRun.objects.values("cycle_id", "period_end", "bill_date").order_by("cycle_id", "period_end"))
    assert max(r["bill_date"] for r in runs) < today
    by_cycle = defaultdict(list)
    for r in runs:
        by_cycle[r["cycle_id"]].append(r)
    assert len(by_cycle) == 20
    for cycle_runs in by_cycle.values():
        # a run a month, the first in the conversion's month, the last less than a month ago
        assert cycle_runs[0]["period_end"] < inside.conversion_date + timedelta(days=31)
        assert cycle_runs[-1]["bill_date"] > today - timedelta(days=37)
        gaps = {(b["period_end"] - a["period_end"]).days for a, b in zip(cycle_runs, cycle_runs[1:], strict=False)}
        assert gaps <= set(range(25, 36))
    # nothing effective after yesterday but what this morning brought (a refund issued today)
    later = set(JournalEntry.objects.filter(effective_date__gte=today).values_list("event", flat=True))
    assert later <= {"refund"}
    assert not JournalEntry.objects.filter(effective_date__gt=today).exists()
    assert not Payment.objects.filter(received_on__gte=today).exists()


def test_deposits_tie_to_the_bank_statements(inside):
    deposits = Deposit.objects.filter(business_date__lt=inside.today)
    assert deposits.count() > 30
    assert not deposits.filter(bank_line__isnull=True).exists()
    lines = BankLine.objects.all()
    assert set(lines.values_list("status", flat=True)) == {"matched"}
    assert lines.count() == deposits.count()
    assert ImportedFile.objects.filter(kind=ImportedFile.Kind.BANK_STATEMENT).count() == \
        Deposit.objects.values("business_date").distinct().count()


def test_the_queues_are_those_of_a_working_morning(inside):
    today = inside.today
    # held bills: only those of the last week, or those waiting for a corrected read
    held = Bill.objects.filter(status="held")
    old = held.filter(bill_date__lte=today - timedelta(days=8)).exclude(segments__problem__gt="")
    assert not old.exists()
    # read exceptions: only reads of the last two weeks, and at least a few
    open_reads = ReadException.objects.filter(status="open")
    assert open_reads.exists()
    assert min(open_reads.values_list("read__read_date", flat=True)) >= today - timedelta(days=14)
    # a lockbox check nobody could match waits for research
    assert SuspenseItem.objects.filter(status="open").count() >= 1
    # every drawer of an earlier day was closed and deposited; today's may be open
    assert not DrawerSession.objects.filter(business_date__lt=today).exclude(status="deposited").exists()
    # two ACH debits came back and were processed
    assert ReturnedPayment.objects.filter(status="processed").count() == 2


def test_interval_meters_bill_what_their_registers_advanced(inside):
    """An AMI meter's intervals add up to its register's advance, so it is
    billed from its intervals and never held for a disagreement."""
    segments = list(BillSegment.objects.filter(quantity_source="interval", bill__run__isnull=False)
                    .values_list("agreement__service_point_id", "period_start", "read_date", "quantity"))
    assert segments
    points = {p for p, *_ in segments}
    reads = defaultdict(list)
    for point, day, consumption in RegisterRead.objects.filter(service_point_id__in=points).values_list(
            "service_point_id", "read_date", "consumption"):
        reads[point].append((day, consumption))
    for point, first, last, quantity in segments:
        advance = sum(c for day, c in reads[point] if first <= day <= last)
        assert quantity == advance, (point, first, last)
    assert not Bill.objects.filter(hold_reasons__icontains="interval_register_mismatch").exists()
    assert MeterInstallation.objects.filter(meter__kind="interval", service_point_id__in=points).count() == len(points)


def test_a_history_of_bills_and_payments_through_every_path(inside):
    # every agreement active through the history has one segment per run of its cycle, plus the conversion's
    runs = dict(BillRun.objects.values("cycle_id").annotate(n=Count("id")).values_list("cycle_id", "n"))
    counts = (BillSegment.objects.filter(cancelled=False, agreement__status="active",
                                         agreement__start_date__lt=inside.conversion_date)
              .values("agreement_id", "agreement__bill_cycle_id").annotate(n=Count("id")))
    assert counts and all(c["n"] == runs[c["agreement__bill_cycle_id"]] + 1 for c in counts)
    tenders = dict(Payment.objects.values_list("tender").annotate(n=Count("id")))
    assert tenders.get("lockbox", 0) > tenders.get("ach", 0) > 0
    assert {"cash", "check"} & set(tenders)
    assert Payment.objects.filter(status="reversed", tender="ach").count() == 2
    assert ServiceAgreement.objects.filter(status="active").exists()
    amounts = Bill.objects.filter(run__isnull=False, status="issued").aggregate(a=Avg("current_charges"))["a"]
    assert Decimal(40) < amounts < Decimal(2000)
    assert run_all()["ok"] is True


def test_the_real_tariffs_that_ask_for_facts_bill_demo_customers(inside):
    """Schedule 7 (size class), winter-average sewer (the water's winter use)
    and Union Gap sewer (the water meter's size) each rated issued bills of
    the demo; a sewer on water use bills the water meter's reads, and no bill
    waits for a fact the bill run did not pass."""
    issued = BillSegment.objects.filter(bill__run__isnull=False, bill__status="issued", cancelled=False)
    for code in ("E-7", "S-WAV", "S-GEN"):
        segments = issued.filter(rate_version__schedule__code=code)
        assert segments.filter(total__gt=0).exists(), code
        if code != "E-7":
            # billed on the premise's water meter, with its reads
            assert not segments.filter(Q(meter_serials="") | Q(closing_read_id__isnull=True)).exists(), code
    base = BillLine.objects.filter(segment__in=issued.filter(rate_version__schedule__code="E-7"),
                                   description__startswith="Daily base charge")
    assert set(base.values_list("rate", flat=True)) <= {Decimal(r) for r in ("0.32", "0.38", "0.45", "0.40", "0.48",
                                                                             "0.56")}
    assert base.exists()
    waiting = Bill.objects.filter(status="held").values_list("hold_reasons", flat=True)
    for reasons in waiting:
        for reason in reasons:
            for fact in ("size_class", "meter_size", "winter average", "water service"):
                assert fact not in reason["message"], reason
