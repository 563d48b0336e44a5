"""Open items of the receivable subledger, without re-reading whole histories.

What is open: credits on a service agreement's receivable lines pay its oldest
debits first (by effective date), so what is still owed is the *newest* part
of its debits — walk the debits newest first until they add up to the
agreement's balance (``ARBalance``, kept by every posting); the last one
walked is partly open. An agreement with a balance of zero or less has no open
items. Payments (``payments.queries.application_context``) apply to these
items; collections ages them.

How little is read: each account has a watermark (``ReceivableWatermark``): an
entry id below which every receivable debit was paid when the mark was set,
and the newest effective date among those debits. A read takes only the lines
from the mark on — an index range on (account, entry) — and checks that the
mark still holds for every agreement:

1. the debits read add up to at least the balance (else a payment was
   reversed or an old debit posted back-dated, and older debits are open
   again), and
2. no debit below the mark is dated after an item found open (else a
   post-dated entry would sort among them).

Accounts where either fails are read again in full in the same statement, so
the answer is always the one the whole history gives (``ratepayer ledger
check`` compares the two for every account). ``advance_watermarks`` moves the
marks up to each account's oldest open item; the collections daily job calls
it for the accounts it has looked at.

One SQL statement per call, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from ratepayer.kernel.money import to_decimal

from .models import ARBalance, GLAccount, JournalEntry, JournalLine, ReceivableWatermark


@dataclass(frozen=True, slots=True)
class OpenDebit:
    account_id: int
    agreement_id: int
    entry_id: int
    charged_on: date
    amount: Decimal


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {"bal": q(ARBalance._meta.db_table), "line": q(JournalLine._meta.db_table),
            "entry": q(JournalEntry._meta.db_table), "gl": q(GLAccount._meta.db_table),
            "wm": q(ReceivableWatermark._meta.db_table)}


def _account_filter(account_ids: list[int] | None) -> tuple[str, list]:
    """SQL naming the accounts to read (all with a positive balance when None)."""
    t = _tables()
    if account_ids is None:
        return f"SELECT account_id FROM {t['bal']} WHERE balance > 0", []
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[]) AS account_id", [account_ids]
    return "SELECT value AS account_id FROM json_each(%s)", [f"[{','.join(str(int(a)) for a in account_ids)}]"]


def _debits(name: str, source: str, range_sql: str) -> str:
    """A CTE of receivable debits of the accounts in ``source``, newest first
    per agreement, with the running total ``upto`` (this debit included).
    The lines are reached per account through the (account, entry) index from
    ``range_sql`` on. Amounts in whole cents: SQLite keeps decimals as binary
    floats."""
    t = _tables()
    return f"""{name} AS (
      SELECT l.account_id, l.agreement_id, l.entry_id, e.effective_date AS day,
             CAST(ROUND(l.debit * 100) AS BIGINT) AS debit, l.id AS line_id,
             SUM(CAST(ROUND(l.debit * 100) AS BIGINT)) OVER (PARTITION BY l.agreement_id
                 ORDER BY e.effective_date DESC, l.id DESC ROWS UNBOUNDED PRECEDING) AS upto
      FROM {source} src
      JOIN {t['line']} l ON l.account_id = src.account_id AND l.entry_id >= {range_sql}
      JOIN {t['entry']} e ON e.id = l.entry_id
      WHERE l.debit > 0 AND l.agreement_id IS NOT NULL
        AND l.gl_account_id IN (SELECT id FROM {t['gl']} WHERE is_receivable_control))"""


def _sql(account_ids: list[int] | None, *, use_marks: bool = True) -> tuple[str, list]:
    """The statement's common part: CTEs ``reads`` (every debit read) and
    ``opens`` (agreement, entry, day, open amount in cents) — see the module docstring."""
    t = _tables()
    accounts_sql, params = _account_filter(account_ids)
    mark, below = ("COALESCE(w.entry_id, 0)", "w.max_date_below") if use_marks else ("0", "CAST(NULL AS DATE)")
    sql = f"""
    WITH acct AS (SELECT a.account_id, {mark} AS mark, {below} AS max_date_below
                  FROM (SELECT DISTINCT account_id FROM ({accounts_sql}) a0) a
                  LEFT JOIN {t['wm']} w ON w.account_id = a.account_id),
    bal AS (SELECT b.account_id, b.agreement_id, CAST(ROUND(b.balance * 100) AS BIGINT) AS balance FROM {t['bal']} b
            JOIN acct ON acct.account_id = b.account_id WHERE b.balance > 0),
    {_debits('fast', 'acct', 'src.mark')},
    fast_open AS (SELECT f.*, bal.balance FROM fast f JOIN bal ON bal.agreement_id = f.agreement_id
                  WHERE f.upto - f.debit < bal.balance),
    covered AS (SELECT agreement_id FROM fast_open GROUP BY agreement_id HAVING MAX(upto) >= MAX(balance)),
    bad AS (SELECT bal.account_id FROM bal LEFT JOIN covered c ON c.agreement_id = bal.agreement_id
            WHERE c.agreement_id IS NULL
            UNION
            SELECT o.account_id FROM fast_open o JOIN acct ON acct.account_id = o.account_id
            WHERE acct.max_date_below > o.day),
    {_debits('slow', 'bad', '0')},
    slow_open AS (SELECT s.*, bal.balance FROM slow s JOIN bal ON bal.agreement_id = s.agreement_id
                  WHERE s.upto - s.debit < bal.balance),
    reads AS (SELECT account_id, agreement_id, entry_id, day, 0 AS full_read FROM fast
              WHERE account_id NOT IN (SELECT account_id FROM bad)
              UNION ALL SELECT account_id, agreement_id, entry_id, day, 1 FROM slow),
    opens AS (SELECT account_id, agreement_id, entry_id, day,
                     CASE WHEN upto <= balance THEN debit ELSE balance - (upto - debit) END AS amount
              FROM fast_open WHERE account_id NOT IN (SELECT account_id FROM bad)
              UNION ALL
              SELECT account_id, agreement_id, entry_id, day,
                     CASE WHEN upto <= balance THEN debit ELSE balance - (upto - debit) END
              FROM slow_open)
    """
    return sql, params


def open_items_cte(account_ids: list[int] | None = None) -> tuple[str, list]:
    """``WITH ... opens AS (...)`` for callers that aggregate open items in SQL
    (collections' aging): append a ``SELECT ... FROM opens``."""
    return _sql(account_ids)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def open_items(account_ids: Iterable[int] | None = None, *, use_marks: bool = True) -> dict[int, list[OpenDebit]]:
    """Open debits per account (oldest first), exact: one query."""
    ids = None if account_ids is None else sorted(set(account_ids))
    if ids == []:
        return {}
    sql, params = _sql(ids, use_marks=use_marks)
    result: dict[int, list[OpenDebit]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT account_id, agreement_id, entry_id, day, amount FROM opens", params)
        for account_id, agreement_id, entry_id, day, amount in cursor.fetchall():
            result[account_id].append(OpenDebit(account_id, agreement_id, entry_id, _day(day),
                                                (Decimal(int(amount)) / 100).quantize(Decimal("0.01"))))
    for items in result.values():
        items.sort(key=lambda i: (i.charged_on, i.entry_id))
    return dict(result)


def advance_watermarks(account_ids: Iterable[int] | None = None) -> int:
    """Move each account's mark up to its oldest open item (two queries).
    Returns the number of marks written. Accounts with nothing open keep
    their mark (it stays true; it is only less useful)."""
    ids = None if account_ids is None else sorted(set(account_ids))
    if ids == []:
        return 0
    t = _tables()
    sql, params = _sql(ids)
    sql += f"""
    , marks AS (SELECT account_id, MIN(entry_id) AS mark FROM opens GROUP BY account_id)
    SELECT m.account_id, m.mark, MAX(CASE WHEN r.entry_id < m.mark THEN r.day END), MAX(r.full_read),
           w.max_date_below
    FROM marks m JOIN reads r ON r.account_id = m.account_id
    LEFT JOIN {t['wm']} w ON w.account_id = m.account_id
    GROUP BY m.account_id, m.mark, w.max_date_below"""
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for account_id, mark, newest_below, full_read, old in cursor.fetchall():
            newest = _day(newest_below) if newest_below is not None else None
            if not full_read and old is not None:
                old = _day(old)
                newest = old if newest is None else max(newest, old)
            rows.append((account_id, mark, newest))
    if not rows:
        return 0
    now = timezone.now()
    table = t["wm"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (account_id, entry_id, max_date_below, updated_at) "
                f"SELECT v.a, v.m, v.d, %s FROM unnest(%s::bigint[], %s::bigint[], %s::date[]) AS v(a, m, d) "
                f"ON CONFLICT (account_id) DO UPDATE SET entry_id = EXCLUDED.entry_id, "
                f"max_date_below = EXCLUDED.max_date_below, updated_at = EXCLUDED.updated_at",
                [now, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]])
        else:
            cursor.executemany(
                f"INSERT INTO {table} (account_id, entry_id, max_date_below, updated_at) VALUES (%s, %s, %s, %s) "
                f"ON CONFLICT (account_id) DO UPDATE SET entry_id = excluded.entry_id, "
                f"max_date_below = excluded.max_date_below, updated_at = excluded.updated_at",
                [(a, m, d.isoformat() if d else None, connection.ops.adapt_datetimefield_value(now))
                 for a, m, d in rows])
    return len(rows)


def differences(limit: int = 50) -> list[str]:
    """Accounts whose open items read from their marks differ from those read
    from the whole history, or do not add up to the balance (the ledger check)."""
    marked = open_items(None)
    full = open_items(None, use_marks=False)
    problems = []

    def summary(items):
        by: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
        for i in items:
            by[(i.agreement_id, i.charged_on)] += i.amount
        return dict(by)

    for account_id in sorted(set(marked) | set(full)):
        if summary(marked.get(account_id, [])) != summary(full.get(account_id, [])):
            problems.append(f"account {account_id}: open items from the watermark differ from the full history")
    balances: dict[int, Decimal] = defaultdict(Decimal)
    for agreement_id, balance in ARBalance.objects.filter(balance__gt=0).values_list("agreement_id", "balance"):
        balances[agreement_id] = to_decimal(balance)
    open_by_agreement: dict[int, Decimal] = defaultdict(Decimal)
    for items in full.values():
        for i in items:
            open_by_agreement[i.agreement_id] += i.amount
    for agreement_id in sorted(set(balances) | set(open_by_agreement)):
        if balances.get(agreement_id, Decimal(0)) != open_by_agreement.get(agreement_id, Decimal(0)):
            problems.append(f"agreement {agreement_id}: open items {open_by_agreement.get(agreement_id, 0)} ≠ "
                            f"balance {balances.get(agreement_id, 0)}")
    return problems[:limit]
