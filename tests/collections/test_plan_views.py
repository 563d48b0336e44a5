"""The arrangement wizard and the contract pages through Django's test client, and their
API endpoints: the schedule is shown before anything is saved, refusals change nothing,
and the API does what the page does with the same checks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ratepayer.collections.models import LongTermContract, PaymentArrangement
from ratepayer.staff.models import AuditEvent
from tests.api.conftest import ApiClient
from tests.collections.conftest import owe

D = Decimal


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(autouse=True)
def _no_down_payment(db):
    from ratepayer.collections.models import CollectionPolicy

    CollectionPolicy.objects.update(arrangement_down_payment_percent=0)


@pytest.fixture
def behind(utility):
    owe(utility.account, utility.electric, "240.00")
    return utility


def wizard(utility, **overrides):
    today = timezone.localdate()
    data = {"kind": "ordinary", "past_due_amount": "240.00", "down_payment": "0.00", "installments": "3",
            "first_due": (today + timedelta(days=10)).isoformat(), "made_on": today.isoformat(),
            "broken_after_days": "10", "note": ""}
    data.update(overrides)
    return data


def test_the_wizard_shows_the_schedule_before_saving_then_saves(signed_in, behind):
    client = signed_in("specialist")
    url = reverse("collections:arrangement_new", args=[behind.account.number])
    page = client.get(url)
    assert page.status_code == 200 and b"Show schedule" in page.content and b"Save arrangement" not in page.content
    shown = client.post(url, wizard(behind, op="preview"))
    assert shown.status_code == 200
    assert b"$80.00" in shown.content and b"Save arrangement" in shown.content
    assert PaymentArrangement.objects.count() == 0
    saved = client.post(url, wizard(behind, op="save"))
    arrangement = PaymentArrangement.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse("collections:arrangement", args=[arrangement.pk])
    detail = client.get(saved["Location"])
    assert b"Kept so far" in detail.content and detail.content.count(b"$80.00") >= 3
    tab = client.get(reverse("collections:account", args=[behind.account.number]))  # core's collections tab
    assert b'id="panel-arrangements"' in tab.content and b'id="panel-contracts"' in tab.content
    assert reverse("collections:arrangement", args=[arrangement.pk]).encode() in tab.content
    assert b"$80.00" in tab.content  # the next installment due


def test_the_wizard_puts_a_refusal_on_its_field_and_saves_nothing(signed_in, behind):
    client = signed_in("specialist")
    url = reverse("collections:arrangement_new", args=[behind.account.number])
    refused = client.post(url, wizard(behind, op="save", past_due_amount="999.00"))
    assert refused.status_code == 400
    assert b"The account owes $240.00" in refused.content
    assert PaymentArrangement.objects.count() == 0


def test_an_assistant_cannot_open_the_wizard(signed_in, behind):
    page = signed_in("assistant").get(reverse("collections:arrangement_new", args=[behind.account.number]))
    assert page.status_code == 403


def contract_form(utility, **overrides):
    today = timezone.localdate()
    data = {"kind": "sewer_connection", "premise": str(utility.premise.pk), "principal": "9000.00",
            "annual_rate": "4.5", "term_months": "120", "start_date": (today + timedelta(days=20)).isoformat(),
            "made_on": today.isoformat(), "lien_reference": "202612070099",
            "lien_recorded_on": today.isoformat(), "note": ""}
    data.update(overrides)
    return data


def test_the_contract_form_shows_the_schedule_refuses_the_statute_and_saves(signed_in, utility):
    client = signed_in("senior")
    url = reverse("collections:contract_new", args=[utility.account.number])
    too_long = client.post(url, contract_form(utility, term_months="181", op="save"))
    assert too_long.status_code == 400 and b"RCW 57.08.005(11)" in too_long.content
    shown = client.post(url, contract_form(utility, op="preview"))
    assert shown.status_code == 200 and b"Amortization schedule" in shown.content
    assert LongTermContract.objects.count() == 0
    saved = client.post(url, contract_form(utility, op="save"))
    contract = LongTermContract.objects.get()
    assert saved.status_code == 302
    today = timezone.localdate()
    quote_day = today + timedelta(days=40)
    detail = client.get(reverse("collections:contract", args=[contract.pk]), {"quote_date": quote_day.isoformat()})
    assert detail.status_code == 200 and b"Payoff quote" in detail.content
    assert b"202612070099" in detail.content
    # prepay through the page: billed now and the schedule redrawn
    done = client.post(reverse("collections:contract_action", args=[contract.pk]), {"op": "prepay",
                                                                                     "amount": "1000.00"})
    assert done.status_code == 302
    contract.refresh_from_db()
    assert contract.revision == 2
    assert AuditEvent.objects.filter(action="contract.prepaid").count() == 1
    lists = client.get(reverse("collections:contracts"))
    assert f"#{contract.pk}".encode() in lists.content


def test_api_arrangement_and_contract_endpoints_do_what_the_pages_do(behind, users):
    from ratepayer.staff.actions import create_api_token

    api = ApiClient()
    specialist = create_api_token(user=users["specialist"], name="t")[1]
    senior = create_api_token(user=users["senior"], name="t")[1]
    number = behind.account.number
    body = {"kind": "ordinary", "past_due_amount": "240.00", "installments": 4, "first_due": "2030-01-10",
            "made_on": "2029-12-20", "down_payment": "0.00"}
    preview = api.post(f"/api/v1/accounts/{number}/arrangements/preview", specialist, body)
    assert preview.status_code == 200, preview.content
    assert [i["amount"] for i in preview.json()["installments"]] == ["60.00"] * 4
    assert PaymentArrangement.objects.count() == 0
    refused = api.post(f"/api/v1/accounts/{number}/arrangements", specialist, {**body, "installments": 40})
    assert refused.status_code == 400 and refused.json()["code"] == "arrangement_refused"
    created = api.post(f"/api/v1/accounts/{number}/arrangements", specialist, body)
    assert created.status_code == 201 and created.json()["status"] == "active"
    again = api.post(f"/api/v1/accounts/{number}/arrangements", specialist, body)
    assert again.status_code == 400 and "already has an open payment arrangement" in again.json()["message"]
    arrangement_id = created.json()["id"]
    cancelled = api.post(f"/api/v1/arrangements/{arrangement_id}/cancel", specialist, {"reason": "paid in full"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    schedule = api.get("/api/v1/contracts/schedule", specialist, principal="1000.00", annual_rate="5", months=3,
                       start="2030-01-15")
    assert schedule.json()["level_payment"] == "336.11"
    statute = api.get("/api/v1/contracts/schedule", specialist, principal="1000.00", annual_rate="5", months=241,
                      start="2030-01-15", kind="conservation_loan")
    assert statute.status_code == 400 and "RCW 54.16.280" in statute.json()["message"]
    contract_body = {"kind": "sewer_connection", "premise_id": behind.premise.pk, "principal": "6000.00",
                     "annual_rate": "6", "term_months": 24, "start_date": "2030-02-10", "made_on": "2030-01-15"}
    forbidden = api.post(f"/api/v1/accounts/{number}/contracts", specialist, contract_body)
    assert forbidden.status_code == 403
    made = api.post(f"/api/v1/accounts/{number}/contracts", senior, contract_body)
    assert made.status_code == 201 and made.json()["monthly_payment"] == "265.92"
    contract_id = made.json()["id"]
    detail = api.get(f"/api/v1/contracts/{contract_id}", senior)
    assert len(detail.json()["schedule"]) == 24
    quote = api.get(f"/api/v1/contracts/{contract_id}/payoff-quote", senior, on="2030-01-25")
    # nothing billed: 6,000.00 + interest since the loan date Jan 10: 15 days × 6 % / 365 × 6,000 = 14.79
    assert quote.json()["total"] == "6014.79"
    paid = api.post(f"/api/v1/contracts/{contract_id}/payoff", senior, {"on": "2030-01-25"})
    assert paid.status_code == 200 and paid.json()["total"] == "6014.79"
    assert LongTermContract.objects.get(pk=contract_id).status == "paid_off"
    assert date(2030, 1, 25) == LongTermContract.objects.get(pk=contract_id).ended_on
