"""The daily job is set-based: a fixed number of queries per chunk of
accounts, whatever the number of accounts in it and whatever each needs
(a late fee, a notice, a decision, a disconnect or reconnect order)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratepayer.collections.actions import daily, orders
from ratepayer.collections.models import LateFee, Notice, ServiceOrder
from tests.collections.core_helpers import issue_bill, many_accounts, pay

pytestmark = pytest.mark.django_db

DUE = date(2025, 1, 31)
STAGE_DAYS = [DUE + timedelta(days=4), DUE + timedelta(days=5), DUE + timedelta(days=20), date(2025, 3, 3)]


def _build(count: int, start: int) -> list:
    rows = many_accounts(count, start=start)
    for account, electric, water in rows:
        issue_bill(account, {electric: Decimal("120.00"), water: Decimal("60.00")}, date(2025, 1, 10), DUE)
    return rows


def _queries(day: date, ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        daily.run(day, account_ids=ids, chunk_size=10_000)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("day", STAGE_DAYS)
def test_queries_per_chunk_do_not_grow_with_accounts(users, day):
    small = [a.pk for a, _, _ in _build(3, 0)]
    large = [a.pk for a, _, _ in _build(15, 100)]
    for earlier in [d for d in STAGE_DAYS if d < day]:
        daily.run(earlier)
    assert _queries(day, small) == _queries(day, large) <= 40


def test_reconnects_and_cancellations_take_no_more_queries(users):
    rows = _build(12, 0)
    for day in STAGE_DAYS:
        daily.run(day)
    disconnects = list(ServiceOrder.objects.filter(kind="disconnect", service_point__service="electric"))
    assert len(disconnects) == 12
    for order in disconnects[:8]:
        orders.complete_order(user=users["specialist"], order=order, result="done", on=date(2025, 3, 3))
    for account, electric, water in rows:
        pay(account, electric, Decimal("125.00"), date(2025, 3, 4))
        pay(account, water, Decimal("66.00"), date(2025, 3, 4))
    ids = [a.pk for a, _, _ in rows]
    with CaptureQueriesContext(connection) as ctx:
        result = daily.run(date(2025, 3, 4), account_ids=ids)
    # 8 electric reconnected; the 12 water and 4 electric orders not yet worked are cancelled
    assert (result.reconnect_orders, result.cancelled_orders) == (8, 16)
    assert len(ctx.captured_queries) <= 40
    assert LateFee.objects.count() == 24 and Notice.objects.filter(kind="final").count() == 12
