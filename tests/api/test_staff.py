"""Approvals, limits and staff users through the API: the console's functions and checks."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from ratepayer.api.idempotency import SECRET_SHOWN_ONCE
from ratepayer.api.models import IdempotencyKey
from ratepayer.billing.models import Adjustment
from ratepayer.staff import permissions, roles
from ratepayer.staff.models import ApprovalLimit, ApprovalRequest


def _pending_adjustment(api, utility, tokens) -> int:
    """An adjustment above the specialist's 250.00 limit: it waits for approval (202)."""
    response = api.post(f"/api/v1/accounts/{utility.account.number}/adjustments", tokens["specialist"], {
        "agreement_id": utility.water.pk, "direction": "credit", "amount": "900.00", "reason": "LEAK",
        "memo": "Leak under the slab"})
    assert response.status_code == 202, response.content
    return response.json()["approval_request_id"]


def test_the_inbox_lists_what_you_may_decide_and_approving_carries_it_out(api, utility, tokens):
    request_id = _pending_adjustment(api, utility, tokens)
    inbox = api.get("/api/v1/approvals", token=tokens["senior"]).json()
    assert [r["id"] for r in inbox["items"]] == [request_id]
    assert api.get("/api/v1/approvals", token=tokens["specialist"]).json()["items"] == []  # never one's own
    response = api.post(f"/api/v1/approvals/{request_id}/decision", tokens["senior"],
                        {"decision": "approve", "note": "Plumber's report seen"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved" and response.json()["decided_by"] == "senior"
    assert Adjustment.objects.get().status == "posted"


def test_reject_and_withdraw(api, utility, tokens):
    first = _pending_adjustment(api, utility, tokens)
    rejected = api.post(f"/api/v1/approvals/{first}/decision", tokens["senior"], {"decision": "reject",
                                                                                 "note": "no receipt"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    second = _pending_adjustment(api, utility, tokens)
    withdrawn = api.post(f"/api/v1/approvals/{second}/decision", tokens["specialist"], {"decision": "withdraw"})
    assert withdrawn.status_code == 200, withdrawn.content
    assert ApprovalRequest.objects.get(pk=second).status == "cancelled"


def test_set_an_approval_limit(api, tokens, users):
    response = api.post("/api/v1/approval-limits", tokens["supervisor"], {
        "role": roles.SPECIALIST, "action": "adjustment", "amount": "300.00", "effective_from": "2030-01-01",
        "reason": "storm credits"})
    assert response.status_code == 201, response.content
    row = ApprovalLimit.objects.get(pk=response.json()["id"])
    assert (row.role, row.amount) == (roles.SPECIALIST, Decimal("300.00"))


def test_create_a_staff_user_the_password_is_shown_once(api, tokens, users):
    body = {"username": "mgarcia", "role": roles.SPECIALIST, "first_name": "Maria"}
    first = api.post("/api/v1/staff-users", tokens["supervisor"], body, key="new-user-1")
    assert first.status_code == 201, first.content
    password = first.json()["temporary_password"]
    assert password and first.json()["roles"] == [roles.SPECIALIST]
    assert password not in str(IdempotencyKey.objects.get().response)
    replay = api.post("/api/v1/staff-users", tokens["supervisor"], body, key="new-user-1")
    assert replay.status_code == 201 and replay.json()["temporary_password"] == SECRET_SHOWN_ONCE
    assert get_user_model().objects.filter(username="mgarcia").count() == 1


def test_role_deactivate_reactivate_and_reset_password(api, tokens, users):
    user = users["assistant"]
    base = f"/api/v1/staff-users/{user.pk}"
    assert api.post(f"{base}/role", tokens["supervisor"], {"role": roles.SPECIALIST}).status_code == 200
    assert permissions.roles_of(user) == [roles.SPECIALIST]
    off = api.post(f"{base}/deactivate", tokens["supervisor"], {"reason": "left"})
    assert off.status_code == 200 and off.json()["is_active"] is False
    on = api.post(f"{base}/reactivate", tokens["supervisor"])
    assert on.status_code == 200 and on.json()["is_active"] is True
    reset = api.post(f"{base}/reset-password", tokens["supervisor"])
    assert reset.status_code == 200 and reset.json()["temporary_password"]
    user.refresh_from_db()
    assert user.check_password(reset.json()["temporary_password"])
