"""The payments pages say what happened in words (issue 10, point 14)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.urls import reverse

from ratepayer.payments import actions
from ratepayer.payments.models import AutopayEnrollment, Payment
from tests.payments.conftest import charge
from tests.payments.test_views import _plain_http, client_for  # noqa: F401  (_plain_http is an autouse fixture)

D = Decimal


def test_a_refused_check_comes_back_as_a_check_with_the_typed_amount(client, users, utility):
    charge(utility.electric, "165.50", date(2025, 2, 1))
    c = client_for(client, users, "assistant")
    c.post(reverse("payments:drawer_open"), {"opening_float": "50.00"})
    form = {"account": utility.account.number, "tender": "check", "amount": "20.00", "check_number": "1042",
            "check_routing": "021000022", "payer_name": "Jane Doe", "token": "t1"}
    response = c.post(reverse("payments:take"), form)
    assert response.status_code == 400 and not Payment.objects.exists()
    html = response.content.decode()
    assert 'value="check" checked' in html and 'value="cash" checked' not in html
    assert 'id="amount" name="amount" class="money" inputmode="decimal" value="20.00"' in html
    assert 'value="1042"' in html and 'value="Jane Doe"' in html and 'value="021000022"' in html
    assert "Routing number" in html and 'class="micr-transit"' in html


def test_an_amount_above_the_limit_is_queued_not_posted(client, users, utility):
    c = client_for(client, users, "assistant")
    c.post(reverse("payments:drawer_open"), {"opening_float": "50.00"})
    response = c.post(reverse("payments:take"), {"account": utility.account.number, "tender": "cash",
                                                 "amount": "15000.00", "token": "t2"}, follow=True)
    assert "Needs approval" in response.content.decode() and not Payment.objects.exists()
    bad = c.post(reverse("payments:take"), {"account": utility.account.number, "tender": "cash",
                                            "amount": "99999999999.99", "token": "t3"})
    assert bad.status_code == 400 and "more than $9,999,999.99" in bad.content.decode()


def test_receipt_names_the_clerk_and_a_short_drawer_is_short(client, users, utility):
    users["assistant"].first_name, users["assistant"].last_name = "Ana", "Reyes"
    users["assistant"].save()
    c = client_for(client, users, "assistant")
    c.post(reverse("payments:drawer_open"), {"opening_float": "0.00"})
    page = c.get(reverse("payments:cashier"), {"q": utility.account.number})
    c.post(reverse("payments:take"), {"account": utility.account.number, "tender": "cash", "amount": "25.00",
                                      "token": page.context["token"]})
    payment = Payment.objects.get()
    receipt = c.get(reverse("payments:receipt", args=[payment.pk])).content.decode()
    assert 'id="receipt-clerk">Ana Reyes<' in receipt
    session = actions.open_session_for(users["assistant"])
    count = {"d_20.00": "1"}  # $25.00 expected, $20.00 counted: $5.00 short
    refused = c.post(reverse("payments:drawer_close", args=[session.pk]), {**count, "checks": ""}, follow=True)
    assert "the drawer is short $5.00" in refused.content.decode()
    session.refresh_from_db()
    assert session.status == "open"
    done = c.post(reverse("payments:drawer_close", args=[session.pk]),
                  {**count, "checks": "", "reason": "a five given as change twice"}, follow=True).content.decode()
    assert "Drawer closed short $5.00" in done and "balanced" not in done


def test_refund_form_defaults_to_the_customer(client, users, utility):
    from ratepayer.ledger.actions import Line, post

    post(event="payment", effective_date=date(2025, 2, 1), description="overpayment", lines=[
        Line("131.1", debit=D("30.00")),
        Line("142", credit=D("30.00"), account_id=utility.account.pk, agreement_id=utility.electric.pk)])
    c = client_for(client, users, "specialist")
    html = c.get(reverse("payments:refunds"), {"account": utility.account.number}).content.decode()
    assert 'name="payee" value="Jane Doe"' in html and 'value="30.00"' in html
    c.post(reverse("payments:refunds"), {"account": utility.account.number, "amount": "30.00", "method": "check",
                                         "payee": "", "payee_address": "", "reason": "overpayment"})
    from ratepayer.payments.models import Refund
    refund = Refund.objects.get()
    assert refund.payee == "Jane Doe" and refund.payee_address == utility.account.mailing_address


def test_autopay_list_is_paged_and_searchable(client, users, utility):
    for i in range(60):
        AutopayEnrollment.objects.create(
            account=utility.account, holder_name=f"Holder {i:02d}", routing_number="021000021",
            bank_account_number="000123451234", bank_account_last4="1234", account_type="checking", draft_day=5, start_date=date(2025, 1, 1),
            authorized_on=date(2025, 1, 1), status="stopped", created_by=users["specialist"])
    c = client_for(client, users, "specialist")
    first = c.get(reverse("payments:autopay")).content.decode()
    assert "Enrollments (60)" in first and "page 1 of 2" in first and first.count("Holder ") == 50
    found = c.get(reverse("payments:autopay"), {"q": "Holder 07"}).content.decode()
    assert "Enrollments (1)" in found and "Holder 07" in found
