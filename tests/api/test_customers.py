"""Customer and account endpoints: shapes, masking, permissions, audit, query counts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratepayer.ledger.actions import Line, post, reverse
from ratepayer.staff import roles
from ratepayer.staff.models import AuditEvent

D = Decimal


def _bill(u, agreement, amount: str, day: date, *, revenue: str = "440"):
    return post(event="bill_charge", effective_date=day, description=f"bill {day:%b %Y}", lines=[
        Line("142", debit=D(amount), account_id=u.account.pk, agreement_id=agreement.pk, memo="energy"),
        Line(revenue, credit=D(amount), account_id=u.account.pk, agreement_id=agreement.pk),
    ])


def _payment(u, agreement, amount: str, day: date):
    return post(event="payment", effective_date=day, description="payment", lines=[
        Line("131.1", debit=D(amount)),
        Line("142", credit=D(amount), account_id=u.account.pk, agreement_id=agreement.pk, memo="check 1001"),
    ])


def _views(user=None) -> int:
    events = AuditEvent.objects.filter(action="account.viewed")
    return events.filter(user=user).count() if user is not None else events.count()


# --- GET /accounts/{number} --------------------------------------------------

def test_account_for_an_assistant_has_pii_masked_and_the_view_is_audited(api, utility, users, tokens):
    response = api.get(f"/api/v1/accounts/{utility.account.number}", token=tokens["assistant"])
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == utility.account.number
    assert body["status"] == "active"
    assert body["opened_on"] == "2024-01-02"
    assert body["mailing_address"] == {"line1": "1204 Pine St", "line2": "", "city": "Everett", "state": "WA",
                                       "zip": "98201"}
    assert body["is_key_account"] is False and body["key_account_manager"] is None
    customer = body["customer"]
    assert customer["name"] == "Jane Doe"
    assert customer["pii_masked"] is True
    assert customer["tax_id"] == "•••••6789"
    assert customer["date_of_birth"] == "••••-••-••"
    assert customer["contacts"] == [{"name": "Jane Doe", "role": "", "phone": "(425) 555-0142",
                                     "email": "jane.doe@example.com", "is_primary": True, "prefers": "mail"}]
    assert customer["accounts"] == [utility.account.number]
    assert "123-45-6789" not in response.content.decode()
    assert _views(users["assistant"]) == 1
    assert not AuditEvent.objects.filter(action="customer.pii_viewed").exists()
    assert response["Cache-Control"] == "no-store"


def test_account_for_a_senior_shows_pii_and_audits_the_reveal(api, utility, users, tokens):
    customer = api.get(f"/api/v1/accounts/{utility.account.number}", token=tokens["senior"]).json()["customer"]
    assert customer["pii_masked"] is False
    assert customer["tax_id"] == "123-45-6789"
    assert customer["date_of_birth"] == "1980-04-02"
    reveal = AuditEvent.objects.get(action="customer.pii_viewed")
    assert reveal.user_id == users["senior"].pk and reveal.channel == "api"


def test_nothing_to_reveal_records_no_pii_view(api, utility, tokens):
    from ratepayer.customers.models import Customer

    Customer.objects.filter(pk=utility.customer.pk).update(tax_id="", date_of_birth="")
    customer = api.get(f"/api/v1/accounts/{utility.account.number}", token=tokens["senior"]).json()["customer"]
    assert (customer["tax_id"], customer["date_of_birth"]) == ("", "")
    assert not AuditEvent.objects.filter(action="customer.pii_viewed").exists()


@pytest.mark.parametrize("role", ["auditor", "kam", "specialist", "supervisor"])
def test_every_role_with_account_view_reads(api, utility, users, tokens, role):
    number = utility.account.number
    for path in ("", "/agreements", "/balances", "/transactions"):
        assert api.get(f"/api/v1/accounts/{number}{path}", token=tokens[role]).status_code == 200, path
    assert _views(users[role]) == 4


def test_unknown_account_is_404_with_a_clear_detail_and_no_view_recorded(api, utility, tokens):
    response = api.get("/api/v1/accounts/99999997", token=tokens["assistant"])
    assert response.status_code == 404
    message = "There is no account number '99999997'."
    assert response.json() == {"code": "not_found", "message": message, "detail": message}
    assert _views() == 0


@pytest.fixture
def api_only_role(monkeypatch):
    """A role that may use the API but not look up accounts (no shipped role is
    like that; it proves the endpoints check account.view themselves)."""
    monkeypatch.setitem(roles.ROLE_CAPABILITIES, roles.ASSISTANT, frozenset({"api.use", "payment.take"}))


@pytest.mark.parametrize("path", ["/accounts/{n}", "/accounts/{n}/agreements", "/accounts/{n}/balances",
                                  "/accounts/{n}/transactions", "/accounts/search?q=doe", "/customers/{c}"])
def test_without_account_view_every_endpoint_is_403_and_nothing_is_audited(api, utility, tokens, api_only_role,
                                                                             path):
    url = "/api/v1" + path.format(n=utility.account.number, c=utility.customer.pk)
    before = AuditEvent.objects.count()
    response = api.get(url, token=tokens["assistant"])
    assert response.status_code == 403
    assert response.json()["detail"].startswith("assistant is not allowed to look up")
    assert AuditEvent.objects.count() == before


def test_refused_for_an_unknown_number_too_so_refusal_reveals_nothing(api, utility, tokens, api_only_role):
    assert api.get("/api/v1/accounts/99999997", token=tokens["assistant"]).status_code == 403


# --- GET /customers/{id} -----------------------------------------------------

def test_customer_shape_and_audit(api, utility, users, tokens):
    response = api.get(f"/api/v1/customers/{utility.customer.pk}", token=tokens["specialist"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "kind", "name", "first_name", "last_name", "language", "tax_id", "date_of_birth",
                         "pii_masked", "contacts", "accounts"}
    assert (body["id"], body["kind"], body["name"], body["language"]) == (utility.customer.pk, "person", "Jane Doe", "en")
    assert body["tax_id"] == "•••••6789" and body["pii_masked"] is True
    assert body["accounts"] == [utility.account.number]
    event = AuditEvent.objects.get(action="customer.viewed")
    assert event.user_id == users["specialist"].pk and event.object_id == str(utility.customer.pk)


def test_unknown_customer_is_404(api, utility, tokens):
    response = api.get("/api/v1/customers/999999", token=tokens["specialist"])
    assert response.status_code == 404
    message = "There is no customer 999999."
    assert response.json() == {"code": "not_found", "message": message, "detail": message}


# --- GET /accounts/{number}/agreements --------------------------------------

def test_agreements_shape(api, utility, tokens):
    response = api.get(f"/api/v1/accounts/{utility.account.number}/agreements", token=tokens["assistant"])
    assert response.status_code == 200
    by_service = {a["service"]: a for a in response.json()}
    assert set(by_service) == {"electric", "water"}
    electric = by_service["electric"]
    assert electric == {
        "id": utility.electric.pk, "service": "electric", "status": "active", "start_date": "2024-01-02",
        "end_date": None, "customer_class": "residential", "rate_schedule": "E-7", "rate_schedule_name": "Residential",
        "bill_cycle": "01", "service_point_id": utility.electric.service_point_id, "service_point_label": "",
        "premise": {"id": utility.premise.pk, "address": "1204 Pine St, Everett", "parcel_number": "00437500001200"},
        "meter": "E1000123", "previous_agreement_id": None,
    }
    assert by_service["water"]["meter"] is None
    assert by_service["water"]["rate_schedule"] == "W-RES"


def test_ended_agreement_after_a_move_links_to_its_successor(api, utility, users, tokens):
    from ratepayer.customers import actions as customer_actions

    new_home = customer_actions.create_premise(user=users["specialist"], line1="88 Cedar Ave", city="Everett",
                                               zip="98203", services=["electric", "water"])
    moved = customer_actions.transfer_service(user=users["specialist"], account=utility.account, to_premise=new_home,
                                              move_date=date(2025, 6, 1))
    body = api.get(f"/api/v1/accounts/{utility.account.number}/agreements", token=tokens["assistant"]).json()
    assert [(a["status"], a["service"]) for a in body] == [
        ("active", "electric"), ("active", "water"), ("ended", "electric"), ("ended", "water")]
    ended_electric = body[2]
    assert (ended_electric["id"], ended_electric["end_date"], ended_electric["meter"]) == (
        utility.electric.pk, "2025-05-31", None)
    new_electric = body[0]
    assert new_electric["id"] in {a.pk for a in moved}
    assert new_electric["previous_agreement_id"] == utility.electric.pk
    assert new_electric["premise"]["address"] == "88 Cedar Ave, Everett"


# --- GET /accounts/{number}/balances ----------------------------------------

def test_balances_by_service_from_the_ar_subledger(api, utility, tokens):
    _bill(utility, utility.electric, "100.00", date(2025, 1, 31))
    _payment(utility, utility.electric, "40.00", date(2025, 2, 10))
    _bill(utility, utility.water, "55.25", date(2025, 1, 31), revenue="461.1")
    response = api.get(f"/api/v1/accounts/{utility.account.number}/balances", token=tokens["auditor"])
    assert response.status_code == 200
    assert response.json() == {
        "account": utility.account.number,
        "total": "115.25",
        "services": [
            {"service": "electric", "balance": "60.00",
             "agreements": [{"agreement_id": utility.electric.pk, "status": "active", "balance": "60.00"}]},
            {"service": "water", "balance": "55.25",
             "agreements": [{"agreement_id": utility.water.pk, "status": "active", "balance": "55.25"}]},
        ],
    }


def test_balance_amounts_are_exact_two_place_decimals(api, utility, tokens):
    # 84.17 - 50.00 is 34.17000000000000170530256582424 in binary floating point
    _bill(utility, utility.electric, "84.17", date(2025, 1, 31))
    _payment(utility, utility.electric, "50.00", date(2025, 2, 10))
    _bill(utility, utility.water, "0.10", date(2025, 1, 31), revenue="461.1")
    _bill(utility, utility.water, "0.20", date(2025, 2, 28), revenue="461.1")
    body = api.get(f"/api/v1/accounts/{utility.account.number}/balances", token=tokens["auditor"]).json()
    assert body["total"] == "34.47"
    assert [s["balance"] for s in body["services"]] == ["34.17", "0.30"]


def test_balances_of_an_account_without_postings_are_zero(api, utility, tokens):
    body = api.get(f"/api/v1/accounts/{utility.account.number}/balances", token=tokens["auditor"]).json()
    assert body["total"] == "0.00"
    assert [s["balance"] for s in body["services"]] == ["0.00", "0.00"]


# --- GET /accounts/{number}/transactions ------------------------------------

def test_transactions_shape_newest_first_with_reversal_link(api, utility, tokens):
    bill = _bill(utility, utility.electric, "100.00", date(2025, 1, 31))
    payment = _payment(utility, utility.electric, "40.00", date(2025, 2, 10))
    reversal = reverse(entry=payment, effective_date=date(2025, 2, 20), description="returned check")
    response = api.get(f"/api/v1/accounts/{utility.account.number}/transactions", token=tokens["assistant"])
    assert response.status_code == 200
    body = response.json()
    assert (body["account"], body["offset"], body["limit"], body["next_offset"]) == (
        utility.account.number, 0, 50, None)
    items = body["items"]
    assert [i["journal_entry_id"] for i in items] == [reversal.pk, payment.pk, bill.pk]
    assert items[0]["reverses_journal_entry_id"] == payment.pk
    assert (items[0]["debit"], items[0]["credit"], items[0]["amount"]) == ("40.00", "0.00", "40.00")
    assert (items[1]["debit"], items[1]["credit"], items[1]["amount"]) == ("0.00", "40.00", "-40.00")
    last = items[2]
    assert set(last) == {"id", "journal_entry_id", "effective_date", "posted_at", "event", "description", "memo",
                         "service", "agreement_id", "debit", "credit", "amount", "reverses_journal_entry_id"}
    assert (last["event"], last["effective_date"], last["service"], last["agreement_id"], last["memo"]) == (
        "bill_charge", "2025-01-31", "electric", utility.electric.pk, "energy")
    # only receivable lines: the revenue and cash lines of the same entries are not customer transactions
    assert len(items) == 3


def test_transactions_pages(api, utility, tokens):
    for month in range(1, 6):
        _bill(utility, utility.water, f"{month}.00", date(2025, month, 28), revenue="461.1")
    url = f"/api/v1/accounts/{utility.account.number}/transactions"
    first = api.get(url, token=tokens["assistant"], limit=2).json()
    assert [i["debit"] for i in first["items"]] == ["5.00", "4.00"] and first["next_offset"] == 2
    second = api.get(url, token=tokens["assistant"], limit=2, offset=first["next_offset"]).json()
    assert [i["debit"] for i in second["items"]] == ["3.00", "2.00"] and second["next_offset"] == 4
    third = api.get(url, token=tokens["assistant"], limit=2, offset=4).json()
    assert [i["debit"] for i in third["items"]] == ["1.00"] and third["next_offset"] is None


@pytest.mark.parametrize("params, field", [({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                                           ({"offset": -1}, "offset"), ({"limit": "ten"}, "limit")])
def test_transactions_bad_paging_is_422_naming_the_parameter(api, utility, tokens, params, field):
    response = api.get(f"/api/v1/accounts/{utility.account.number}/transactions", token=tokens["assistant"],
                       **params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def _transactions_queries(api, utility, token) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(f"/api/v1/accounts/{utility.account.number}/transactions", token=token, limit=20)
    assert response.status_code == 200
    return len(captured)


def test_transactions_query_count_does_not_grow_with_history(api, utility, tokens, django_assert_max_num_queries):
    _bill(utility, utility.electric, "10.00", date(2024, 2, 1))
    api.get(f"/api/v1/accounts/{utility.account.number}", token=tokens["assistant"])  # token's last use recorded
    short_history = _transactions_queries(api, utility, tokens["assistant"])
    start = date(2020, 1, 1)
    for i in range(120):
        agreement = utility.electric if i % 2 else utility.water
        _bill(utility, agreement, "12.34", start + timedelta(days=10 * i), revenue="440" if i % 2 else "461.1")
        if i % 3 == 0:
            _payment(utility, agreement, "5.00", start + timedelta(days=10 * i + 5))
    long_history = _transactions_queries(api, utility, tokens["assistant"])
    assert long_history == short_history
    with django_assert_max_num_queries(6):  # token, roles, account, audit, lines (+1 spare)
        api.get(f"/api/v1/accounts/{utility.account.number}/transactions", token=tokens["assistant"], limit=500)


# --- GET /accounts/search ----------------------------------------------------

def test_search_finds_by_name_and_number_and_never_unmasks(api, utility, users, tokens):
    for q in ("doe", "jane doe", utility.account.number, "555-0142", "E1000123"):
        response = api.get("/api/v1/accounts/search", token=tokens["senior"], q=q)
        assert response.status_code == 200, q
        assert response.json() == [{
            "number": utility.account.number, "status": "active", "customer_id": utility.customer.pk,
            "customer_name": "Jane Doe", "mailing_address": "1204 Pine St, Everett, WA 98201", "tax_id": "•••••6789",
        }], q
    assert not AuditEvent.objects.filter(action="customer.pii_viewed").exists()


def test_search_without_a_match_is_an_empty_list(api, utility, tokens):
    assert api.get("/api/v1/accounts/search", token=tokens["assistant"], q="nobody").json() == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 101}, {"q": "doe", "limit": 0}])
def test_search_bad_query_is_422_naming_the_parameter(api, utility, tokens, params):
    response = api.get("/api/v1/accounts/search", token=tokens["assistant"], **params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def _search_queries(api, token, q: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/accounts/search", token=token, q=q)
    assert response.status_code == 200
    return len(captured), len(response.json())


def test_search_query_count_is_fixed(api, utility, users, tokens, django_assert_max_num_queries):
    """The same number of queries for one match as for many: measured at two sizes."""
    from tests.payments.helpers import second_account

    api.get("/api/v1/accounts/search", token=tokens["assistant"], q="nobody")  # token's last use recorded
    one_queries, one_found = _search_queries(api, tokens["assistant"], "pine")
    for n in range(12):
        second_account(users["specialist"], utility, name=f"Pine Resident {n}", line1=f"{20 + n} Pine St")
    many_queries, many_found = _search_queries(api, tokens["assistant"], "pine")
    assert (one_found, many_found) == (1, 13)
    assert many_queries == one_queries
    with django_assert_max_num_queries(7):
        assert api.get("/api/v1/accounts/search", token=tokens["assistant"], q="pine").status_code == 200
