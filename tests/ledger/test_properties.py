"""A hypothesis property of the ledger: any sequence of charges, reversals, counter
payments, returned payments and payment transfers — made through the real ledger and
payments actions — keeps every invariant ``ratepayer ledger check`` tests.

Each example runs in a transaction rolled back at its end, so the examples share the
fixtures' small utility without seeing each other's postings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratepayer.ledger import checks
from ratepayer.ledger.actions import Line, PostingRules, post, reverse
from ratepayer.ledger.errors import LedgerError
from ratepayer.ledger.models import JournalEntry, JournalLine
from ratepayer.payments import actions as payments
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import Payment
from tests.payments.helpers import second_account

cents = st.integers(1, 50_000).map(lambda c: Decimal(c) / 100)
steps = st.lists(st.one_of(
    st.tuples(st.just("charge"), st.integers(0, 2), cents),
    st.tuples(st.just("reverse charge"), st.integers(0, 9)),
    st.tuples(st.just("pay"), st.integers(0, 1), cents, st.sampled_from(["cash", "check", "money_order"])),
    st.tuples(st.just("return payment"), st.integers(0, 9)),
    st.tuples(st.just("transfer payment"), st.integers(0, 9)),
), min_size=1, max_size=12)


def ledger_problems() -> list:
    """What `ratepayer ledger check` would report: the same function, every check."""
    report = checks.run_all()
    return [] if report["ok"] else [c for c in report["checks"] if not c["ok"]]


def ledger_rows() -> tuple[int, int]:
    return JournalEntry.objects.count(), JournalLine.objects.count()


def run(step, *, users, accounts, agreements, drawer, charges, number) -> None:
    kind = step[0]
    if kind == "charge":
        agreement, amount = agreements[step[1]], step[2]
        debit, credit = PostingRules().accounts("bill_charge", agreement.service, agreement.customer_class)
        charges.append(post(event="bill_charge", effective_date=date(2025, 2, 1), description=f"charge {amount}",
                            lines=[Line(debit, debit=amount, account_id=agreement.account_id,
                                        agreement_id=agreement.pk),
                                   Line(credit, credit=amount, account_id=agreement.account_id,
                                        agreement_id=agreement.pk)]))
    elif kind == "reverse charge":
        if not charges:
            return
        entry = charges[step[1] % len(charges)]
        if JournalEntry.objects.filter(reverses=entry).exists():
            before = ledger_rows()
            try:
                reverse(entry=entry, effective_date=date(2025, 2, 20), description="cancel")
            except LedgerError:
                assert ledger_rows() == before  # a second reversal is refused and writes nothing
            else:
                raise AssertionError(f"JE{entry.pk} was reversed twice")
        else:
            reverse(entry=entry, effective_date=date(2025, 2, 20), description="cancel")
    elif kind == "pay":
        payments.take_payment(user=users["assistant"], session=drawer, account=accounts[step[1]], tender=step[3],
                              amount=step[2], tendered=step[2] if step[3] == "cash" else None,
                              check_number=str(1000 + number) if step[3] != "cash" else "",
                              check_routing="021000021" if step[3] == "check" else "",
                              payer_name="Jane Doe" if step[3] == "check" else "", token=f"prop-{number}")
    else:
        taken = list(Payment.objects.order_by("pk"))
        if not taken:
            return
        payment = taken[step[1] % len(taken)]
        before = ledger_rows()
        try:
            if kind == "return payment":
                payments.return_payment(user=users["specialist"], payment=payment, reason="NSF", return_code="R01",
                                        received_on=date(2025, 3, 10))
            else:
                other = next(a for a in accounts if a.pk != payment.account_id)
                payments.transfer_payment(user=users["specialist"], payment=payment, to_account=other,
                                          reason="misapplied", on=date(2025, 3, 10))
        except PaymentError:
            # only a payment already returned or moved is refused, and the refusal writes nothing
            assert payment.status != Payment.Status.POSTED
            assert ledger_rows() == before


@pytest.fixture
def second(users, utility):
    return second_account(users["specialist"], utility)


# the fixtures are made once for all examples; each example rolls its own postings back
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_any_sequence_of_postings_reversals_and_payments_keeps_the_ledger_checks(users, utility, second, sequence):
    account2, water2 = second
    accounts = [utility.account, account2]
    agreements = [utility.electric, utility.water, water2]
    with transaction.atomic():
        drawer = payments.open_drawer(user=users["assistant"], business_date=date(2025, 3, 3),
                                      opening_float="100.00")
        charges: list = []
        for number, step in enumerate(sequence):
            run(step, users=users, accounts=accounts, agreements=agreements, drawer=drawer, charges=charges,
                number=number)
            assert ledger_problems() == [], (number, step)
        transaction.set_rollback(True)
