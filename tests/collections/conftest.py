"""Fixtures of the collections plans' tests: a small town billed with the sample rates
(billing's fixtures), an opening balance, and payments through the payments app."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.ledger.actions import Line, post
from ratepayer.payments.actions.core import PaymentSpec, open_drawer, post_payments
from tests.billing.conftest import build_town, fake_usage, town  # noqa: F401 (fixtures)


def owe(account, agreement, amount: str, on: date = date(2025, 1, 2)) -> None:
    """Put ``amount`` on the account's receivable (a conversion opening balance)."""
    amount = Decimal(amount)
    post(event="opening_balance", effective_date=on, description=f"opening balance {account.number}",
         lines=[Line(gl_account="142", debit=amount, account_id=account.pk, agreement_id=agreement.pk),
                Line(gl_account="3000", credit=amount)])


@pytest.fixture
def pay(users):
    """pay(account, "12.34", on) posts a check payment received that day."""
    drawer = open_drawer(user=users["assistant"], business_date=date(2025, 1, 2))
    counter = iter(range(1, 10_000))

    def _pay(account, amount: str, on: date):
        return post_payments([PaymentSpec(account.pk, Decimal(amount), "check", on, f"test:{next(counter)}", {})],
                             batch=drawer.batch, user=users["assistant"])[0]
    return _pay
