"""Money sums are exact on both databases (issue 10, point 4).

SQLite keeps a DECIMAL column as a binary float (REAL): adding 0.10 + 0.20 -
0.30 there leaves 5.55e-17, and a SUM over such rows drifts further. Every
balance the code stores or sums must come out as an exact Decimal, and zero
as 0.00 — never -0.00, never 1e-13."""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q

from ratepayer.ledger import checks
from ratepayer.ledger.actions import Line, post
from ratepayer.ledger.models import ARBalance

D = Decimal


def _charge(u, agreement, amount):
    post(event="bill_charge", effective_date=date(2025, 1, 31), description="bill", lines=[
        Line("142", debit=D(amount), account_id=u.account.pk, agreement_id=agreement.pk),
        Line("440", credit=D(amount), account_id=u.account.pk, agreement_id=agreement.pk)])


def _pay(u, agreement, amount):
    post(event="payment", effective_date=date(2025, 2, 10), description="payment", lines=[
        Line("131.1", debit=D(amount)),
        Line("142", credit=D(amount), account_id=u.account.pk, agreement_id=agreement.pk)])


def _raw_balances(u):
    with connection.cursor() as cursor:
        cursor.execute("SELECT balance FROM ledger_arbalance WHERE account_id = %s ORDER BY agreement_id",
                       [u.account.pk])
        return [row[0] for row in cursor.fetchall()]


def test_balances_built_from_tenths_come_to_exactly_zero(utility):
    # 0.10 + 0.20 - 0.30 is 5.55e-17 in binary floats; ten times over, on two services
    for _ in range(10):
        for agreement in (utility.electric, utility.water):
            _charge(utility, agreement, "0.10")
            _charge(utility, agreement, "0.20")
            _pay(utility, agreement, "0.30")
    # what the database itself holds is zero, not a float's remainder
    for raw in _raw_balances(utility):
        assert D(str(raw)) == 0 and not str(raw).startswith("-"), raw
    for row in ARBalance.objects.filter(account=utility.account):
        assert row.balance == D("0.00") and str(row.balance) == "0.00"
    from ratepayer.payments.queries import account_balance
    total = account_balance(utility.account.pk)
    assert isinstance(total, Decimal) and str(total) == "0.00"
    assert checks.run_all()["ok"]


def test_search_shows_a_zero_balance_as_zero(utility):
    from ratepayer.console.queries import search_hits

    for _ in range(10):
        _charge(utility, utility.electric, "0.10")
        _charge(utility, utility.water, "0.20")
        _pay(utility, utility.electric, "0.10")
        _pay(utility, utility.water, "0.20")
    [hit] = [h for h in search_hits(utility.account.number) if h.account.pk == utility.account.pk]
    assert str(hit.balance) == "0.00"


def test_money_sum_is_exact_over_many_rows(utility):
    from ratepayer.db.money import MoneySum, money_total
    from ratepayer.ledger.models import JournalLine

    for _ in range(10):
        _charge(utility, utility.electric, "0.10")
        _charge(utility, utility.electric, "0.20")
        _pay(utility, utility.electric, "0.30")
    receivable = JournalLine.objects.filter(account=utility.account, gl_account__number="142")
    assert money_total(receivable, "debit") == D("3.00")
    net = receivable.aggregate(n=MoneySum(F("debit") - F("credit")))["n"]
    assert isinstance(net, Decimal) and str(net) == "0.00"
    assert str(money_total(receivable.none(), "debit")) == "0.00"
    # with a FILTER clause too (the refunds page sums credit balances only)
    debits = receivable.aggregate(d=MoneySum("debit", filter=Q(debit__gt=0)))["d"]
    assert str(debits) == "3.00"
    assert checks.run_all()["ok"]
