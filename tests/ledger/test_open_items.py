"""Open items read from the watermarks equal the whole history's (first-in
first-out), before and after the marks move, whatever is posted meanwhile:
back-dated debits, reversed payments, credit balances."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratepayer.ledger import openitems
from ratepayer.ledger.actions import Line, post, reverse
from ratepayer.ledger.checks import check_open_items
from ratepayer.payments import calculations

pytestmark = pytest.mark.django_db


def _charge(u, agreement, day, amount):
    return post(event="bill_charge", effective_date=day, description="charge",
                lines=[Line("142", debit=amount, account_id=u.account.pk, agreement_id=agreement.pk),
                       Line("440", credit=amount)])


def _pay(u, agreement, day, amount):
    return post(event="payment", effective_date=day, description="payment",
                lines=[Line("131.1", debit=amount), Line("142", credit=amount, account_id=u.account.pk,
                                                           agreement_id=agreement.pk)])


def _expected(u):
    """The pure first-in first-out answer from every line (payments.calculations)."""
    from ratepayer.ledger.models import JournalLine

    out = {}
    for agreement in (u.electric, u.water):
        lines = JournalLine.objects.filter(agreement=agreement, gl_account__number="142").values_list(
            "entry__effective_date", "debit", "credit")
        for item in calculations.open_items(agreement.pk, agreement.service, lines):
            out[(agreement.pk, item.charged_on)] = out.get((agreement.pk, item.charged_on), Decimal(0)) + item.amount
    return out


def _got(u, **kwargs):
    out = {}
    for item in openitems.open_items([u.account.pk], **kwargs).get(u.account.pk, []):
        out[(item.agreement_id, item.charged_on)] = out.get((item.agreement_id, item.charged_on), Decimal(0)) + item.amount
    return out


def test_open_items_follow_fifo_through_marks_backdating_and_reversals(utility):
    u = utility
    rng = random.Random(7)
    day = date(2025, 1, 1)
    payments = []
    for month in range(14):
        for agreement in (u.electric, u.water):
            _charge(u, agreement, day, Decimal(rng.randint(2000, 15000)) / 100)
        if month % 3 != 2:
            payments.append(_pay(u, rng.choice([u.electric, u.water]), day + timedelta(days=20),
                                 Decimal(rng.randint(1000, 25000)) / 100))
        assert _got(u) == _expected(u)
        if month % 2:
            openitems.advance_watermarks([u.account.pk])
            assert _got(u) == _expected(u)
        day += timedelta(days=30)
    openitems.advance_watermarks([u.account.pk])
    # a back-dated charge (older than the mark) and a reversed old payment: the mark no longer holds
    _charge(u, u.electric, date(2025, 2, 3), Decimal("41.17"))
    assert _got(u) == _expected(u)
    reverse(entry=payments[0], effective_date=day, description="returned")
    assert _got(u) == _expected(u)
    assert check_open_items().ok
    # an overpayment: nothing open on that agreement
    _pay(u, u.water, day, Decimal("5000.00"))
    assert not [k for k in _got(u) if k[0] == u.water.pk]
    assert _got(u) == _expected(u)
    assert check_open_items().ok


def test_open_items_is_one_query_and_reads_from_the_mark(utility):
    u = utility
    day = date(2025, 1, 1)
    for _ in range(24):
        _charge(u, u.electric, day, Decimal("100.00"))
        _pay(u, u.electric, day + timedelta(days=15), Decimal("100.00"))
        day += timedelta(days=30)
    _charge(u, u.electric, day, Decimal("80.00"))
    with CaptureQueriesContext(connection) as ctx:
        items = openitems.open_items([u.account.pk])
    assert len(ctx.captured_queries) == 1
    assert [(i.charged_on, i.amount) for i in items[u.account.pk]] == [(day, Decimal("80.00"))]
    assert openitems.advance_watermarks([u.account.pk]) == 1
    from ratepayer.ledger.models import ReceivableWatermark

    mark = ReceivableWatermark.objects.get(account_id=u.account.pk)
    assert mark.entry_id == items[u.account.pk][0].entry_id
    assert mark.max_date_below == day - timedelta(days=30) + timedelta(days=0)
    assert openitems.open_items([u.account.pk]) == items
