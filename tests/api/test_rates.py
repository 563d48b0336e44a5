"""Rate schedule endpoints: the same drafts, submissions and four-eyes approval as the console."""

from __future__ import annotations

from datetime import date

import pytest

from ratepayer.rates import documents, queries
from ratepayer.rates.actions import load_example_schedules
from ratepayer.rates.models import RateSchedule, RateVersion
from ratepayer.staff import roles
from ratepayer.staff.actions import create_api_token, create_staff_user
from ratepayer.staff.models import ApprovalRequest
from tests.factories import PASSWORD


@pytest.fixture
def examples(db):
    return load_example_schedules().schedules


@pytest.fixture
def checker(users):
    """A second supervisor's token: the checker of the first one's versions."""
    user = create_staff_user(username="supervisor2", password=PASSWORD, roles=[roles.SUPERVISOR])
    return create_api_token(user=user, name="checker")[1]


def e7_yaml(examples) -> str:
    in_force = queries.version_in_force(examples["E-7"], date(2026, 6, 1))
    return documents.to_yaml(in_force.document).replace("rate: 0.08935", "rate: 0.09100")


def test_create_a_schedule(api, tokens, users):
    response = api.post("/api/v1/rate-schedules", tokens["supervisor"],
                        {"code": "E-99", "name": "Test rate", "service": "electric"})
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "E-99"
    assert RateSchedule.objects.filter(code="E-99").exists()


def test_draft_edit_submit_and_approve_by_another_supervisor(api, tokens, examples, checker):
    url = "/api/v1/rate-schedules/E-7/versions"
    body = {"effective_from": "2027-04-01", "document": e7_yaml(examples), "notes": "3 % increase"}
    draft = api.post(url, tokens["supervisor"], body)
    assert draft.status_code == 201, draft.content
    version_id = draft.json()["id"]
    assert draft.json()["status"] == "draft"
    edited = api.post(f"{url}/{version_id}", tokens["supervisor"], {**body, "notes": "3.1 %", "submit": True})
    assert edited.status_code == 200, edited.content
    assert edited.json()["status"] == "pending" and edited.json()["approval_request_id"]
    # the maker cannot approve their own version; the other supervisor can
    own = api.post(f"{url}/{version_id}/decision", tokens["supervisor"], {"decision": "approve"})
    assert own.status_code in (403, 409), own.content
    approved = api.post(f"{url}/{version_id}/decision", checker, {"decision": "approve", "note": "ok"})
    assert approved.status_code == 200, approved.content
    assert RateVersion.objects.get(pk=version_id).status == "approved"


def test_a_bad_document_names_the_line_and_saves_nothing(api, tokens, examples, unchanged):
    text = e7_yaml(examples).replace("rate: 0.09100", "rate: cheap", 1)
    with unchanged():
        response = api.post("/api/v1/rate-schedules/E-7/versions", tokens["supervisor"],
                            {"effective_from": "2027-04-01", "document": text})
    assert response.status_code == 400
    assert response.json()["code"] == "tariff_document_invalid"
    assert "line " in response.json()["message"]


def test_submit_then_reject(api, tokens, examples, checker):
    url = "/api/v1/rate-schedules/E-7/versions"
    version_id = api.post(url, tokens["supervisor"], {"effective_from": "2027-04-01",
                                                      "document": e7_yaml(examples)}).json()["id"]
    submitted = api.post(f"{url}/{version_id}/decision", tokens["supervisor"], {"decision": "submit"})
    assert submitted.status_code == 200 and submitted.json()["status"] == "pending"
    assert ApprovalRequest.objects.filter(status="pending").count() == 1
    rejected = api.post(f"{url}/{version_id}/decision", checker, {"decision": "reject", "note": "wrong date"})
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["status"] == "rejected"


def test_quote_a_bill_like_the_console_calculator_writing_nothing(api, tokens, examples):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as run:
        response = api.get("/api/v1/rate-schedules/E-7/quote", tokens["assistant"], on="2025-06-01", quantity="900",
                           days="30", size_class="small")
        before_rates = api.get("/api/v1/rate-schedules/E-7/quote", tokens["assistant"], on="2001-01-01",
                               quantity="900", size_class="small")
        no_class = api.get("/api/v1/rate-schedules/E-7/quote", tokens["assistant"], on="2025-06-01", quantity="900")
        negative = api.get("/api/v1/rate-schedules/E-7/quote", tokens["assistant"], on="2025-06-01", quantity="-1")
        unknown = api.get("/api/v1/rate-schedules/NOPE/quote", tokens["assistant"], on="2025-06-01", quantity="1")
    writes = [q["sql"] for q in run.captured_queries
              if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
              and "staff_apitoken" not in q["sql"]]  # the token's last use is recorded on every call
    assert writes == []
    assert response.status_code == 200, response.content
    quote = response.json()
    # the worked example of tests/rates/test_views.py: 30 days x $0.32 + 900 kWh x $0.09231 = $92.68
    assert [(line["description"], line["amount"]) for line in quote["lines"]] == [
        ("Daily base charge", "9.60"), ("Energy charge", "83.08")]
    assert quote["total"] == "92.68" and quote["unit"] == "kWh" and quote["end"] == "2025-06-30"
    assert before_rates.status_code == 400 and "no approved version in force on 2001-01-01" in before_rates.json()[
        "message"]
    assert no_class.status_code == 400 and "size_class" in no_class.json()["message"]
    assert negative.status_code == 422
    assert unknown.status_code == 404
