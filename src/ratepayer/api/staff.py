"""Approvals, approval limits and staff users.

The approvals inbox lists the pending requests the token's user may decide
(never their own; only kinds their role decides). Deciding calls the same
``staff.approvals`` functions as the console: approving checks the
approver's role and limit and carries the action out; the maker may
withdraw their own request. Approval limits and staff users are changed by
the same ``staff.limits`` and ``staff.actions`` functions as the staff pages
(``approval_limit.edit``, ``users.admin``). A temporary password is in the
first answer only: it is not kept with the idempotency key, and a replay
answers it as ``(shown once, …)``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from ninja import Field, Router, Schema, Status

from ratepayer.staff import actions as staff_actions
from ratepayer.staff import approvals, limits, permissions
from ratepayer.staff.errors import ApprovalError
from ratepayer.staff.models import ApprovalRequest

from .errors import found
from .pagination import limit_param, offset_param, page
from .schemas import examples, read, write

router = Router()


# --- approvals -----------------------------------------------------------------

class ApprovalOut(Schema):
    model_config = examples({"id": 301, "kind": "adjustment", "action": "adjustment", "amount": "1500.00",
                             "summary": "Credit 1,500.00 to 10000016 (LEAK)", "status": "pending",
                             "maker": "specialist", "requested_at": "2026-12-07T15:02:11Z", "decided_by": None,
                             "decision_note": ""})
    id: int
    kind: str
    action: str = Field(description="the limited action (adjustment, refund, …), empty if none")
    amount: Decimal | None
    summary: str
    status: str = Field(description="pending, approved, rejected or cancelled")
    maker: str
    requested_at: datetime
    decided_by: str | None
    decision_note: str


class ApprovalPage(Schema):
    model_config = examples({"offset": 0, "limit": 50, "next_offset": None,
                             "items": [ApprovalOut.model_config["json_schema_extra"]["examples"][0]]})
    offset: int
    limit: int
    next_offset: int | None
    items: list[ApprovalOut]


def _approval_out(r: ApprovalRequest) -> ApprovalOut:
    return ApprovalOut(id=r.pk, kind=r.kind, action=r.action, amount=r.amount, summary=r.summary, status=r.status,
                       maker=r.maker.get_username(), requested_at=r.requested_at,
                       decided_by=r.decided_by.get_username() if r.decided_by_id else None,
                       decision_note=r.decision_note)


@read(router, "/approvals", response={200: ApprovalPage}, operation_id="list_pending_approvals",
      summary="Pending approval requests you may decide, oldest first")
def list_pending_approvals(request, offset: int = offset_param(), limit: int = limit_param()):
    permissions.require(request.auth, "account.view", "use the console")
    rows = list(approvals.inbox_for(request.auth).select_related("maker", "decided_by")[offset:offset + limit + 1])
    items, next_offset = page(rows, offset, limit)
    return ApprovalPage(offset=offset, limit=limit, next_offset=next_offset, items=[_approval_out(r) for r in items])


class DecisionIn(Schema):
    model_config = examples({"decision": "approve", "note": "Leak confirmed by the field report"},
                            {"decision": "reject", "note": "No receipt for the repair"})
    decision: str = Field(description="approve, reject, or withdraw (your own request)")
    note: str = Field("", max_length=500)


@write(router, "/approvals/{request_id}/decision", response={200: ApprovalOut}, operation_id="decide_approval",
       summary="Approve (and carry out), reject, or withdraw an approval request")
def decide_approval(request, request_id: int, payload: DecisionIn):
    permissions.require(request.auth, "account.view", "use the console")
    found(ApprovalRequest, f"There is no request #{request_id}. Nothing was changed.", pk=request_id)
    if payload.decision == "approve":
        done = approvals.approve(request_id=request_id, approver=request.auth, note=payload.note)
    elif payload.decision == "reject":
        done = approvals.reject(request_id=request_id, approver=request.auth, note=payload.note)
    elif payload.decision == "withdraw":
        done = approvals.cancel(request_id=request_id, maker=request.auth, note=payload.note)
    else:
        raise ApprovalError("Decision: choose approve, reject or withdraw. Nothing was changed.")
    return Status(200, _approval_out(ApprovalRequest.objects.select_related("maker", "decided_by").get(pk=done.pk)))


# --- approval limits -------------------------------------------------------------

class LimitIn(Schema):
    model_config = examples({"role": "Account specialist", "action": "adjustment", "amount": "300.00",
                             "effective_from": "2027-01-01", "reason": "Winter storm credits"})
    role: str = Field(description="a role name, as in docs/roles.md")
    action: str = Field(description="adjustment, refund, write_off or arrangement")
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    effective_from: date
    reason: str = ""


class LimitOut(Schema):
    model_config = examples({"id": 40, "role": "Account specialist", "action": "adjustment", "amount": "300.00",
                             "effective_from": "2027-01-01"})
    id: int
    role: str
    action: str
    amount: Decimal
    effective_from: date


@write(router, "/approval-limits", response={201: LimitOut}, operation_id="set_approval_limit",
       summary="Set a role's approval limit for an action from a date")
def set_approval_limit(request, payload: LimitIn):
    permissions.require(request.auth, "approval_limit.edit", "change approval limits")
    row = limits.set_limit(user=request.auth, role=payload.role, action=payload.action, amount=payload.amount,
                           effective_from=payload.effective_from, reason=payload.reason)
    return Status(201, LimitOut(id=row.pk, role=row.role, action=row.action, amount=row.amount,
                                effective_from=row.effective_from))


# --- staff users -------------------------------------------------------------------

class StaffUserIn(Schema):
    model_config = examples({"username": "mgarcia", "role": "Account specialist", "first_name": "Maria",
                             "last_name": "Garcia", "email": "mgarcia@utility.example.org"})
    username: str = Field(min_length=1, max_length=150)
    role: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


class StaffUserOut(Schema):
    model_config = examples({"id": 12, "username": "mgarcia", "roles": ["Account specialist"], "is_active": True,
                             "temporary_password": "tulip-orbit-cable-7421"})
    id: int
    username: str
    roles: list[str]
    is_active: bool
    temporary_password: str | None = Field(
        None, description="only when one was just set; give it to the person, who changes it at first sign-in")


def _user_out(user, password: str | None = None) -> StaffUserOut:
    user = get_user_model().objects.get(pk=user.pk)
    return StaffUserOut(id=user.pk, username=user.get_username(), roles=permissions.roles_of(user),
                        is_active=user.is_active, temporary_password=password)


def _staff_user(user_id: int):
    return found(get_user_model().objects.filter(is_superuser=False),
                 f"There is no staff user {user_id}. Nothing was changed.", pk=user_id)


@write(router, "/staff-users", response={201: StaffUserOut}, operation_id="create_staff_user",
       summary="Create a staff user with one role and a temporary password", secret=("temporary_password",))
def create_staff_user(request, payload: StaffUserIn):
    permissions.require(request.auth, "users.admin", "administer staff users")
    user, password = staff_actions.create_staff_user_with_temporary_password(
        username=payload.username.strip(), role=payload.role, first_name=payload.first_name,
        last_name=payload.last_name, email=payload.email, created_by=request.auth)
    return Status(201, _user_out(user, password))


class RoleIn(Schema):
    model_config = examples({"role": "Senior account specialist"})
    role: str


@write(router, "/staff-users/{user_id}/role", response={200: StaffUserOut}, operation_id="set_staff_role",
       summary="Give a staff user another role")
def set_staff_role(request, user_id: int, payload: RoleIn):
    permissions.require(request.auth, "users.admin", "administer staff users")
    user = _staff_user(user_id)
    staff_actions.set_staff_role(user=user, role=payload.role, by=request.auth)
    return Status(200, _user_out(user))


class DeactivateIn(Schema):
    model_config = examples({"reason": "Left the utility on 2026-12-04"})
    reason: str = Field("", max_length=200)


@write(router, "/staff-users/{user_id}/deactivate", response={200: StaffUserOut}, operation_id="deactivate_staff_user",
       summary="Deactivate a staff user: they can no longer sign in or use their API tokens")
def deactivate_staff_user(request, user_id: int, payload: DeactivateIn):
    permissions.require(request.auth, "users.admin", "administer staff users")
    user = _staff_user(user_id)
    staff_actions.set_staff_active(user=user, active=False, reason=payload.reason, by=request.auth)
    return Status(200, _user_out(user))


@write(router, "/staff-users/{user_id}/reactivate", response={200: StaffUserOut}, operation_id="reactivate_staff_user",
       summary="Let a deactivated staff user sign in again")
def reactivate_staff_user(request, user_id: int):
    permissions.require(request.auth, "users.admin", "administer staff users")
    user = _staff_user(user_id)
    staff_actions.set_staff_active(user=user, active=True, by=request.auth)
    return Status(200, _user_out(user))


@write(router, "/staff-users/{user_id}/reset-password", response={200: StaffUserOut},
       operation_id="reset_staff_password", summary="Set a new temporary password for a staff user",
       secret=("temporary_password",))
def reset_staff_password(request, user_id: int):
    permissions.require(request.auth, "users.admin", "administer staff users")
    user = _staff_user(user_id)
    password = staff_actions.reset_staff_password(user=user, by=request.auth)
    return Status(200, _user_out(user, password))
