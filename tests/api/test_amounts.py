"""Amounts in API bodies are read by the one strict rule (issue 10, point 9):
"1e12" was a 500, "1e2" and "1,000.00" were accepted; a cent is an amount."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ratepayer.billing.models import Adjustment
from ratepayer.ledger import checks

from .test_framework import _balance, _body, _url


@pytest.mark.parametrize("amount, problem", [
    ("1e12", "'1e12' is written with an exponent"), ("1e2", "'1e2' is written with an exponent"),
    ("1,000.00", "'1,000.00' has a comma"), ("12.345", "more than two decimals"), ("NaN", "not an amount"),
    ("99999999999.99", "more than $9,999,999.99"),
])
def test_a_bad_amount_is_refused_400_naming_the_field(api, utility, tokens, unchanged, amount, problem):
    with unchanged():
        response = api.post(_url(utility), tokens["specialist"], _body(utility, amount), key=f"k-{amount}")
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith("Amount: ") and problem in response.json()["message"]
    assert not Adjustment.objects.exists()


def test_a_one_cent_adjustment_posts(api, utility, tokens):
    response = api.post(_url(utility), tokens["specialist"], _body(utility, "0.01"), key="one-cent")
    assert response.status_code == 201, response.content
    assert _balance(utility.water) == Decimal("-0.01")
    assert checks.run_all()["ok"]


@pytest.mark.parametrize("amount, problem", [
    ("99999999999.99", "more than $9,999,999.99"), ("1e12", "exponent"), ("1e2", "exponent"),
    ("1,000.00", "comma"),
])
def test_a_counter_payment_with_a_bad_amount_is_refused(api, utility, tokens, amount, problem):
    from ratepayer.payments.models import Payment

    api.post("/api/v1/drawers", tokens["assistant"], {"opening_float": "0.00"})
    response = api.post("/api/v1/payments", tokens["assistant"],
                        {"account": utility.account.number, "tender": "cash", "amount": amount}, key=f"p-{amount}")
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith("Amount: ") and problem in response.json()["message"]
    assert not Payment.objects.exists()


def test_cash_above_the_limit_waits_202_and_posts_nothing(api, utility, tokens):
    from ratepayer.payments.models import Payment
    from ratepayer.staff.models import ApprovalRequest

    api.post("/api/v1/drawers", tokens["assistant"], {"opening_float": "0.00"})
    response = api.post("/api/v1/payments", tokens["assistant"],
                        {"account": utility.account.number, "tender": "cash", "amount": "15000.00"}, key="big")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["message"].startswith("Needs approval")
    assert ApprovalRequest.objects.get(pk=body["approval_request_id"]).kind == "payments.counter_payment"
    assert not Payment.objects.exists()
    assert checks.run_all()["ok"]
