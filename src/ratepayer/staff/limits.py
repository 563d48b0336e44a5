"""Approval limits per role and action, effective-dated."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import audit, permissions
from .audit import AuditAction
from .errors import StaffError
from .models import ApprovalLimit
from .roles import LIMITED_ACTIONS, ROLES


def limits_in_force(on: date | None = None) -> dict[tuple[str, str], ApprovalLimit]:
    """{(role, action): limit row} in force on a date (one query)."""
    on = on or timezone.localdate()
    in_force: dict[tuple[str, str], ApprovalLimit] = {}
    for row in ApprovalLimit.objects.filter(effective_from__lte=on).order_by("role", "action", "effective_from", "id"):
        in_force[(row.role, row.action)] = row
    return in_force


def limit_for(user, action: str, on: date | None = None) -> Decimal:
    """The user's limit for an action: the highest limit among their roles."""
    if action not in LIMITED_ACTIONS:
        raise KeyError(f"unknown limited action {action!r}")
    roles = permissions.roles_of(user)
    if not roles:
        return Decimal("0.00")
    on = on or timezone.localdate()
    best = Decimal("0.00")
    for role in roles:
        row = (
            ApprovalLimit.objects.filter(role=role, action=action, effective_from__lte=on)
            .order_by("-effective_from", "-id")
            .first()
        )
        if row is not None and row.amount > best:
            best = row.amount
    return best


def set_limit(*, user, role: str, action: str, amount: Decimal, effective_from: date, reason: str = "") -> ApprovalLimit:
    """A supervisor sets a new limit from a date on (never edits an old one)."""
    permissions.require(user, "approval_limit.edit", "change approval limits")
    if role not in ROLES:
        raise StaffError(f"{role!r} is not a role.")
    if action not in LIMITED_ACTIONS:
        raise StaffError(f"{action!r} is not an action with a limit.")
    if amount < 0:
        raise StaffError("A limit cannot be negative.")
    with transaction.atomic():
        previous = limit_for_role(role, action, effective_from)
        row = ApprovalLimit.objects.create(
            role=role, action=action, amount=amount, effective_from=effective_from, set_by=user, reason=reason
        )
        audit.record(
            AuditAction.APPROVAL_LIMIT_SET,
            obj=row,
            summary=f"{role}: {action} limit {amount} from {effective_from}",
            before={"amount": previous},
            after={"amount": amount, "effective_from": effective_from},
        )
    return row


def limit_for_role(role: str, action: str, on: date) -> Decimal | None:
    row = (
        ApprovalLimit.objects.filter(role=role, action=action, effective_from__lte=on)
        .order_by("-effective_from", "-id")
        .first()
    )
    return row.amount if row else None
