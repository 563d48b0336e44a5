"""Exact money in SQL: the one way an amount column is summed.

SQLite keeps a DECIMAL column as a binary float (REAL), so its SUM of 0.10,
0.20 and -0.30 is 5.55e-17, and a balance of zero comes back as 1.28e-13 or
"-0.00". ``MoneySum`` sums whole cents there — ``SUM(CAST(ROUND(x * 100) AS
INTEGER))``, exact in 64-bit integers — and divides by 100 once, so Django's
converter reads back a Decimal exact to the cent (up to 13 digits before the
point). On PostgreSQL the column is NUMERIC and its SUM is already exact.
Either way the result is a ``DecimalField`` with 2 places, and zero is 0.00.

Every aggregate over money in ratepayer goes through ``MoneySum`` (or
``money_total`` for a whole queryset); the migration triggers that compare
debits and credits sum NUMERIC on PostgreSQL only. ``ledger.checks`` sums the
same cents itself (``cents``) to compare them as integers.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import BigIntegerField, DecimalField, F, Sum
from django.db.models.functions import Cast, Round
from django.utils.functional import cached_property

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class MoneySum(Sum):
    """SUM of an amount, exact on SQLite and PostgreSQL, as a 2-place Decimal
    (None over no rows, like SUM; ``money_total`` or ``or ZERO`` for 0.00)."""

    name = "MoneySum"

    def __init__(self, expression, **extra):
        if isinstance(expression, str):
            expression = F(expression)
        extra.setdefault("output_field", DecimalField(max_digits=18, decimal_places=2))
        super().__init__(expression, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()  # the template on the copy: a FILTER clause wraps it (Aggregate.as_sql)
        clone.template = "%(function)s(%(distinct)sCAST(ROUND((%(expressions)s) * 100) AS INTEGER))"
        sql, params = super(MoneySum, clone).as_sql(compiler, connection, **extra_context)
        # integer cents / 100.0: the nearest float to a 2-place amount, which the
        # DecimalField converter quantizes back exactly (never -0.0: 0 / 100.0 is 0.0)
        return f"(({sql}) / 100.0)", params

    @cached_property
    def convert_value(self):
        # after the backend's own converter (SQLite leaves a computed Decimal unquantized: 0.3, 12)
        return _to_money


def _to_money(value, expression, connection) -> Decimal | None:
    if value is None:
        return None
    return normal_zero(Decimal(value).quantize(CENT))


def cents(expression):
    """An amount as whole cents (an integer on both databases), for checks that
    compare sums exactly, row by row (``ledger.checks``)."""
    if isinstance(expression, str):
        expression = F(expression)
    return Cast(Round(expression * 100), BigIntegerField())


def money_total(queryset, expression) -> Decimal:
    """The exact sum of ``expression`` over ``queryset`` (0.00 over no rows)."""
    total = queryset.aggregate(total=MoneySum(expression))["total"]
    return normal_zero(total)


def normal_zero(amount: Decimal | None) -> Decimal:
    """None and -0.00 become 0.00; any other amount is returned as it is."""
    if amount is None or amount == 0:
        return ZERO
    return amount
