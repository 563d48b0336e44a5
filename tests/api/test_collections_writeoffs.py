"""The closed-account endpoints: the same actions and checks as the console;
a refusal answers with its code and changes nothing."""

from __future__ import annotations

from datetime import date

from ratepayer.collections.actions import writeoffs as wo
from ratepayer.collections.models import AgencyAssignment, LienCertification, WriteOff
from tests.collections.writeoff_helpers import closed_owing
from tests.payments.conftest import assert_ledger_ok

V1 = "/api/v1"


def test_write_off_above_the_limit_waits_then_is_approved_through_the_api(api, tokens, users, utility):
    account = closed_owing(utility)
    r = api.post(f"{V1}/accounts/{account.number}/write-offs", tokens["specialist"],
                 {"reason": "uncollectible", "memo": "agency returned it"})
    assert r.status_code == 202, r.json()
    body = r.json()
    assert body["status"] == "pending" and body["amount"] == "150.00"
    own = api.post(f"{V1}/approvals/{body['approval_request_id']}/decision", tokens["specialist"],
                   {"decision": "approve"})
    assert own.status_code == 403
    ok = api.post(f"{V1}/approvals/{body['approval_request_id']}/decision", tokens["senior"], {"decision": "approve"})
    assert ok.status_code == 200, ok.json()
    assert WriteOff.objects.get().status == "posted"
    assert_ledger_ok()


def test_a_refused_write_off_names_why_and_changes_nothing(api, tokens, utility, unchanged):
    with unchanged():
        r = api.post(f"{V1}/accounts/{utility.account.number}/write-offs", tokens["specialist"],
                     {"reason": "uncollectible", "memo": "m"})
    assert r.status_code == 400 and r.json()["code"] == "collections_refused"
    assert "still active" in r.json()["message"]


def test_agency_path_through_the_api(api, tokens, users, utility):
    account = closed_owing(utility)
    assert api.post(f"{V1}/collection-agencies", tokens["supervisor"],
                    {"code": "nwc", "name": "Northwest Credit", "fee_percent": "30"}).status_code == 201
    early = api.post(f"{V1}/accounts/{account.number}/agency-assignment", tokens["specialist"],
                     {"agency": "NWC", "advised_on": "2025-03-15", "assigned_on": "2025-04-01"})
    assert early.status_code == 400 and "RCW 19.16.500" in early.json()["message"]
    assert not AgencyAssignment.objects.exists()
    r = api.post(f"{V1}/accounts/{account.number}/agency-assignment", tokens["specialist"],
                 {"agency": "NWC", "advised_on": "2025-03-01", "assigned_on": "2025-04-01"})
    assert r.status_code == 201 and r.json()["fee_limit"] == "100.00"
    f = api.post(f"{V1}/collection-agencies/NWC/files", tokens["specialist"])
    assert f.status_code == 201 and account.number in f.json()["content"]
    assignment = r.json()["id"]
    rem = api.post(f"{V1}/agency-assignments/{assignment}/remittances", tokens["specialist"],
                   {"reference": "R-1", "gross": "150.00", "received_on": "2025-05-01"})
    assert rem.status_code == 201 and rem.json()["net"] == "105.00" and rem.json()["assignment_status"] == "paid"
    worklist = api.get(f"{V1}/closed-accounts", tokens["assistant"]).json()
    assert worklist["items"] == []
    assert_ledger_ok()


def test_lien_through_the_api_refused_above_the_cap(api, tokens, utility, unchanged):
    account = closed_owing(utility, electric="0", water="200.00")
    body = {"premise_id": utility.premise.pk, "delinquent_since": "2025-01-31", "prime_rate": "7.50",
            "interest_rate": "12.00"}
    with unchanged():
        r = api.post(f"{V1}/accounts/{account.number}/liens", tokens["specialist"], body)
    assert r.status_code == 400 and "RCW 57.08.081(3)" in r.json()["message"]
    r = api.post(f"{V1}/accounts/{account.number}/liens", tokens["specialist"], {**body, "interest_rate": "11.50"})
    assert r.status_code == 201, r.json()
    lien = r.json()["id"]
    rel = api.post(f"{V1}/liens/{lien}/release", tokens["specialist"], {"reason": "paid"})
    assert rel.status_code == 200 and LienCertification.objects.get().status == "released"


def test_worklist_reads_the_steps(api, tokens, users, utility):
    account = closed_owing(utility)
    wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x",
                         on=date(2025, 4, 1))
    r = api.get(f"{V1}/closed-accounts", tokens["assistant"])
    assert r.status_code == 200
    assert {s["step"]: s["count"] for s in r.json()["steps"]}["awaiting_approval"] == 1
    assert r.json()["items"][0]["number"] == account.number
