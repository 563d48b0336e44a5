"""Bill runs: chunked, idempotent, posted, held for review."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ratepayer.billing import billrun
from ratepayer.billing.models import Bill, BillLine, BillRun, BillSegment
from ratepayer.ledger import checks
from ratepayer.ledger.models import ARBalance, JournalEntry


def run_cycle(cycle, period_end, **kw):
    run = billrun.plan_run(cycle=cycle, period_end=period_end, **kw)
    billrun.work_on_run(run)
    run.refresh_from_db()
    return run


def test_first_bill_covers_start_to_read_date_and_posts(town):
    run = run_cycle(town.cycle, date(2025, 2, 14))
    assert run.status == BillRun.Status.FINISHED
    assert run.bills_issued == 3 and run.bills_held == 0
    bill = Bill.objects.get(account=town.accounts[0])
    assert bill.status == Bill.Status.ISSUED
    assert bill.period_start == date(2025, 1, 2) and bill.period_end == date(2025, 2, 14)
    assert [s.service for s in bill.segments.order_by("service")] == ["electric", "sewer", "water"]
    lines_total = sum(BillLine.objects.filter(segment__bill=bill).values_list("amount", flat=True))
    assert bill.current_charges == lines_total > 0
    entry = JournalEntry.objects.get(idempotency_key=f"bill:{bill.pk}")
    assert sum(line.debit for line in entry.lines.all()) == bill.current_charges
    balance = sum(ARBalance.objects.filter(account=town.accounts[0]).values_list("balance", flat=True))
    assert balance == bill.current_charges
    assert checks.run_all()["ok"]


def test_running_a_finished_run_again_bills_nobody(town):
    run_cycle(town.cycle, date(2025, 2, 14))
    entries = JournalEntry.objects.count()
    again = run_cycle(town.cycle, date(2025, 2, 14))
    assert again.pk == BillRun.objects.get().pk and again.status == BillRun.Status.FINISHED
    assert Bill.objects.count() == 3 and JournalEntry.objects.count() == entries
    assert again.bills_issued == 3  # the counters of the one run, not doubled


def test_second_bill_starts_the_day_after_the_billed_read(town, fake_usage):
    electric = town.agreements[town.accounts[0].pk]["electric"]
    fake_usage[electric.pk] = {"period_end": date(2025, 2, 13)}  # read a day early
    run_cycle(town.cycle, date(2025, 2, 14))
    fake_usage.clear()
    run_cycle(town.cycle, date(2025, 3, 14))
    segment = BillSegment.objects.get(agreement=electric, period_end=date(2025, 3, 14))
    assert segment.period_start == date(2025, 2, 14)
    water = BillSegment.objects.get(agreement=town.agreements[town.accounts[0].pk]["water"], period_end=date(2025, 3, 14))
    assert water.period_start == date(2025, 2, 15)


def test_rate_change_inside_the_period_is_prorated_by_days(town, fake_usage):
    electric = town.agreements[town.accounts[0].pk]["electric"]
    run_cycle(town.cycle, date(2025, 3, 14))
    fake_usage[electric.pk] = {"quantity": Decimal("930")}
    run_cycle(town.cycle, date(2025, 4, 14))
    segment = BillSegment.objects.get(agreement=electric, period_end=date(2025, 4, 14))
    lines = {line.description: line for line in segment.lines.all()}
    # 2025-03-15..04-14 is 31 days: 17 at the old rate, 14 at the new; 930 kWh shared 510/420
    old = lines["Energy charge, first 1,000 kWh (2025-03-15 to 2025-03-31)"]
    new = lines["Energy charge, first 1,000 kWh (2025-04-01 to 2025-04-14)"]
    assert (old.quantity, old.rate, old.amount) == (Decimal("510"), Decimal("0.09231"), Decimal("47.08"))
    assert (new.quantity, new.rate, new.amount) == (Decimal("420"), Decimal("0.08935"), Decimal("37.53"))
    assert lines["Daily base charge (2025-03-15 to 2025-03-31)"].amount == Decimal("5.44")  # 17 x 0.32
    assert lines["Daily base charge (2025-04-01 to 2025-04-14)"].amount == Decimal("5.60")  # 14 x 0.40
    subtotal = Decimal("47.08") + Decimal("37.53") + Decimal("5.44") + Decimal("5.60")
    taxes = sum(line.amount for line in segment.lines.filter(kind="tax"))
    # 3.8734 % of each part: 52.52 -> 2.03, 43.13 -> 1.67
    assert taxes == Decimal("2.03") + Decimal("1.67")
    assert segment.total == subtotal + taxes


def _chunk_queries(town_accounts, cycle, period_end, assert_max):
    run = billrun.plan_run(cycle=cycle, period_end=period_end, chunk_accounts=len(town_accounts))
    context = billrun.RunContext.load(run)
    chunk = billrun.claim_chunk(run, "w1")
    with assert_max(30) as captured:
        billrun.bill_chunk(run, chunk, worker="w1", context=context)
    return [q["sql"] for q in captured.captured_queries]


def test_a_chunk_runs_a_fixed_number_of_queries_whatever_its_size(db, users, fake_usage, django_assert_max_num_queries):
    from tests.billing.conftest import build_town

    small = build_town(users["specialist"], accounts=2, cycle_code="10")
    large = build_town(users["specialist"], accounts=12, cycle_code="11")
    small_sql = _chunk_queries(small.accounts, small.cycle, date(2025, 2, 14), django_assert_max_num_queries)
    large_sql = _chunk_queries(large.accounts, large.cycle, date(2025, 2, 14), django_assert_max_num_queries)
    assert Bill.objects.filter(status="issued").count() == 14

    def statement(sql):  # Django records an executemany as "N times: <sql>"
        return sql.split(" times: ", 1)[1] if " times: " in sql[:20] else sql

    def not_insert(sqls):  # bulk_create batches INSERTs by parameter count; everything else is fixed
        return [statement(s).split()[0] for s in sqls if not statement(s).lstrip().upper().startswith("INSERT")]

    assert not_insert(small_sql) == not_insert(large_sql)
    assert len(small_sql) <= len(large_sql) <= len(small_sql) + 6


def test_a_slow_worker_whose_chunk_was_taken_over_bills_nothing_twice(town):
    from datetime import timedelta

    import pytest
    from django.db import IntegrityError
    from django.utils import timezone

    from ratepayer.billing.models import BillRunChunk

    run = billrun.plan_run(cycle=town.cycle, period_end=date(2025, 2, 14))
    slow = billrun.claim_chunk(run, "slow")
    context = billrun.RunContext.load(run)
    BillRunChunk.objects.filter(pk=slow.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert billrun.work_on_run(run, worker="fast") == 1  # takes the abandoned claim over
    with pytest.raises(IntegrityError):
        billrun.bill_chunk(run, slow, worker="slow", context=context)
    assert Bill.objects.count() == 3 and BillSegment.objects.count() == 9
    assert BillRunChunk.objects.get(pk=slow.pk).worker == "fast"
    assert checks.run_all()["ok"]
