"""The collections pages over a delinquency worked by the daily job: the
worklist's steps and counts, the account's collections tab with its aging,
notices, verdict reasons and orders, the order board's field completion, the
policy page refusing a value over the statutory ceiling."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ratepayer.collections import panels
from ratepayer.collections.actions import daily
from ratepayer.collections.models import CollectionPolicy, ServiceOrder
from ratepayer.staff.models import ApprovalRequest
from tests.collections.core_helpers import issue_bill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False

DUE = date(2025, 1, 31)


@pytest.fixture
def worked(utility):
    u = utility
    for agreement in (u.electric, u.water):
        agreement.customer_class = "commercial"
        agreement.save(update_fields=["customer_class"])
    issue_bill(u.account, {u.electric: Decimal("120.00"), u.water: Decimal("60.00")}, date(2025, 1, 10), DUE)
    for day in (DUE + timedelta(days=4), DUE + timedelta(days=5), DUE + timedelta(days=20), date(2025, 3, 3)):
        daily.run(day)
    return u


def test_worklist_shows_steps_and_the_accounts_behind_them(worked, signed_in):
    client = signed_in("specialist")
    page = client.get("/collections/?date=2025-03-03&step=disconnect")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="step-disconnect"' in text and worked.account.number in text
    assert "Disconnect for nonpayment — Electric" in text
    assert "Over 90" in text


def test_account_tab_shows_aging_notices_verdicts_and_orders(worked, signed_in):
    page = signed_in("specialist").get(f"/collections/accounts/{worked.account.number}/?date=2025-03-03")
    text = page.content.decode()
    assert page.status_code == 200
    for expected in ("Final (disconnect) notice", "Past-due notice", "all_clear", "Disconnect ordered",
                     "heat_alert", "Late fees"):
        assert expected in text, expected


def test_another_part_adds_its_panel(worked, signed_in):
    from django.template import engines

    template = engines["django"].from_string("<h2>Arrangements</h2><p>{{ words }}</p>")
    panels.register_panel("test-panel", "Test", template,
                          lambda request, account, on: {"words": f"panel for {account.number}"}, order=5)
    try:
        page = signed_in("specialist").get(f"/collections/accounts/{worked.account.number}/")
    finally:
        panels._panels.pop("test-panel")
    assert f"panel for {worked.account.number}" in page.content.decode()


def test_board_records_a_field_result(worked, signed_in):
    order = ServiceOrder.objects.filter(kind="disconnect").first()
    client = signed_in("specialist")
    assert f'id="order-{order.pk}"' in client.get("/collections/orders/").content.decode()
    response = client.post(f"/collections/orders/{order.pk}/complete",
                           {"field_result": "paid_at_premise", "completed_on": "2025-03-03", "notes": "paid $200"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.field_result) == ("completed", "paid_at_premise")
    # an assistant may not record field work
    assert signed_in("auditor").post(f"/collections/orders/{order.pk}/complete",
                                     {"field_result": "done", "completed_on": "2025-03-03"}).status_code == 403


def test_policy_page_refuses_a_penalty_over_ten_percent_naming_the_statute(signed_in):
    client = signed_in("supervisor")
    page = client.get("/collections/policy/?scope=water_sewer")
    assert page.status_code == 200
    form = page.context["form"].initial
    data = {k: v for k, v in form.items() if v is not None}
    data.update({"effective_from": (timezone.localdate() + timedelta(days=2)).isoformat(), "reason": "res 7",
                 "late_fee_percent": "12.00", "service": "water"})
    refused = client.post("/collections/policy/", data)
    assert refused.status_code == 400
    assert "RCW 57.08.081(3)" in refused.content.decode()
    assert not ApprovalRequest.objects.exists()
    data["late_fee_percent"] = "9.00"
    assert client.post("/collections/policy/", data).status_code == 302
    assert ApprovalRequest.objects.filter(kind="collections.policy").count() == 1
    assert CollectionPolicy.objects.count() == 3  # in force only once approved
