"""What higher apps may add to payments' posting (payments never imports them).

``register_after_reversed(fn)``: ``fn(payment_id, on, user)`` runs inside the
transaction that reverses a payment (returned, or moved to another account);
collections reverses the recovery that payment made.

``register_after_posted(fn)``: ``fn(posted)`` runs inside the transaction that
posted a batch of payments, after their journal entries and applications are
written; ``posted`` is a list of ``PostedPayment``. The collections app uses it to
credit a payment on a written-off account back to the allowance (Cr 144). A hook
must be set-based (a fixed number of queries for the whole list) and may raise to
refuse the batch (nothing is then posted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class PostedPayment:
    payment_id: int
    account_id: int
    amount: Decimal
    received_on: date


_after_posted: list[Callable[[Sequence[PostedPayment]], None]] = []


def register_after_posted(fn: Callable[[Sequence[PostedPayment]], None]) -> None:
    if fn not in _after_posted:
        _after_posted.append(fn)


def after_posted(posted: Sequence[PostedPayment]) -> None:
    if posted:
        for fn in _after_posted:
            fn(posted)


_after_reversed: list[Callable[[int, date, object], None]] = []


def register_after_reversed(fn: Callable[[int, date, object], None]) -> None:
    if fn not in _after_reversed:
        _after_reversed.append(fn)


def after_reversed(payment_id: int, on: date, user) -> None:
    for fn in _after_reversed:
        fn(payment_id, on, user)
