"""Receipts and returned-payment notices in the customer's language, with U.S.
amounts and dates (issue 11, "Translations with Django's i18n")."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from ratepayer.outbox import actions as outbox
from ratepayer.payments import actions
from tests.payments.conftest import assert_ledger_ok, charge


@pytest.fixture
def spanish(utility):
    charge(utility.electric, "1250.00", date(2025, 1, 31))
    customer = utility.account.customer
    customer.language = "es"
    customer.save()
    return utility


def test_an_emailed_receipt_is_in_the_customers_language_with_us_amounts(users, spanish, drawer):
    payment = actions.take_payment(user=users["assistant"], session=drawer, account=spanish.account, tender="cash",
                                   amount="1200.50", tendered="1210.00")
    actions.email_receipt(user=users["assistant"], payment=payment, to="ana@example.org")
    assert outbox.deliver_due() == {"sent": 1}  # queued in the transaction, sent by a worker (here: now)
    message = mail.outbox[-1]
    assert message.subject == f"Recibo de pago {payment.receipt_number}"
    assert "Efectivo: $1,200.50" in message.body and "Cambio entregado: $9.50" in message.body
    assert f"Recibido el {payment.received_on:%m/%d/%Y}" in message.body
    assert "Saldo después del pago: $49.50" in message.body


def test_the_printed_receipt_is_in_the_customers_language(client, users, spanish, drawer):
    payment = actions.take_payment(user=users["assistant"], session=drawer, account=spanish.account, tender="cash",
                                   amount="1200.50")
    client.force_login(users["assistant"])
    response = client.get(reverse("payments:receipt", args=[payment.pk]), secure=True)
    assert response.status_code == 200, response
    page = response.content.decode()
    assert "Recibo de pago" in page and "Importe pagado" in page and "$1,200.50" in page and "Efectivo" in page
    assert "Print receipt" in page  # the clerk's controls stay in the console's language


def test_a_returned_payment_notice_is_in_the_customers_language(users, spanish, drawer):
    payment = actions.take_payment(user=users["assistant"], session=drawer, account=spanish.account, tender="check",
                                   amount="1200.50", check_number="1001", check_routing="021000021",
                                   payer_name="Ana Ruiz")
    actions.return_payment(user=users["specialist"], payment=payment, reason="NSF", return_code="R01",
                           received_on=date(2025, 3, 10))
    assert outbox.deliver_due() == {"sent": 1}  # queued in the transaction, sent by a worker (here: now)
    message = mail.outbox[-1]
    assert message.subject == "Su pago fue devuelto"
    assert message.body.startswith(f"Su banco devolvió su pago de $1,200.50 del {payment.received_on:%m/%d/%Y} "
                                   f"a la cuenta {spanish.account.number} (R01).")
    assert "cargo por pago devuelto de $" in message.body
    assert_ledger_ok()
