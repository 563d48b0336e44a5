"""Maker-checker approvals any action can use.

An action that exceeds the maker's limit calls `request_approval(...)` with a
``kind`` and a JSON payload instead of doing the work. Later an approver calls
`approve(...)`; the handler registered for the kind runs in the same
transaction and does the work. The maker can never decide their own request
(checked here and by a database constraint). Every step is audited.

A kind may need more than ``approval.decide``: rate versions are decided by
those who may approve rates (``rates.approve``). The kind's capability is
given at registration; the inbox lists only kinds the user may decide, and
approve/reject refuse the others whatever the screen showed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import audit, permissions
from .audit import AuditAction
from .errors import ApprovalError
from .limits import limit_for
from .models import ApprovalRequest

Handler = Callable[[ApprovalRequest, Any], None]
_handlers: dict[str, Handler] = {}
_rejection_handlers: dict[str, Handler] = {}
_deciding_capability: dict[str, str] = {}
# Exceptions a handler raises to refuse the work with a message a clerk can act
# on (nothing changed); the pages show them instead of failing. Each app that
# registers a handler names its own (staff never imports the domains).
_refusals: list[type[Exception]] = [ApprovalError]

DECIDE = "approval.decide"


def register(kind: str, on_approve: Handler, on_reject: Handler | None = None, *,
             capability: str = DECIDE) -> None:
    """Higher layers register what to do when a request of ``kind`` is decided,
    and who may decide it: ``approval.decide`` plus ``capability``."""
    if capability not in permissions.CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")
    _handlers[kind] = on_approve
    _deciding_capability[kind] = capability
    if on_reject is not None:
        _rejection_handlers[kind] = on_reject


def register_refusals(*exceptions: type[Exception]) -> None:
    """Name the exception classes this app's handlers raise to refuse a request."""
    for exc in exceptions:
        if exc not in _refusals:
            _refusals.append(exc)


def refusals() -> tuple[type[Exception], ...]:
    """The exceptions an approve/reject may raise that the clerk should read."""
    return tuple(_refusals)


def capability_to_decide(kind: str) -> str:
    return _deciding_capability.get(kind, DECIDE)


def may_decide_kind(user, kind: str) -> bool:
    return permissions.has(user, DECIDE) and permissions.has(user, capability_to_decide(kind))


def needs_approval(user, action: str, amount: Decimal, on: date | None = None) -> bool:
    return abs(amount) > limit_for(user, action, on)


def request_approval(
    *,
    maker,
    kind: str,
    summary: str,
    payload: dict,
    action: str = "",
    amount: Decimal | None = None,
    subject: Any = None,
    account_id: int | None = None,
) -> ApprovalRequest:
    request = ApprovalRequest.objects.create(
        kind=kind,
        action=action,
        amount=amount,
        summary=summary,
        payload=payload,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        account_id=account_id,
        maker=maker,
        required_role_limit=(f"{action} above {limit_for(maker, action)}" if action else ""),
    )
    audit.record(
        AuditAction.APPROVAL_REQUESTED,
        obj=request,
        account_id=account_id,
        summary=summary,
        after={"kind": kind, "amount": amount, "payload": payload},
        user_id=maker.pk,
    )
    return request


def _lock_pending(request_id: int) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
    if request.status != ApprovalRequest.Status.PENDING:
        raise ApprovalError(f"Request #{request.pk} is already {request.get_status_display().lower()}.")
    return request


def _check_approver(request: ApprovalRequest, approver, verb: str = "approve") -> None:
    permissions.require(approver, DECIDE, "approve or reject requests")
    needed = capability_to_decide(request.kind)
    if needed != DECIDE:
        # "approve rate schedule versions" -> "reject rate schedule versions"
        permissions.require(approver, needed, permissions.CAPABILITIES[needed].replace("approve", verb, 1))
    if request.maker_id == approver.pk:
        raise ApprovalError("Nobody approves their own work: ask another approver.")
    if request.action and request.amount is not None:
        if abs(request.amount) > limit_for(approver, request.action):
            raise ApprovalError(
                f"{request.amount} is above your own {request.action} limit of "
                f"{limit_for(approver, request.action)}: it needs a higher approver."
            )


def approve(*, request_id: int, approver, note: str = "") -> ApprovalRequest:
    """Approve and carry out the request. All or nothing."""
    with transaction.atomic():
        request = _lock_pending(request_id)
        _check_approver(request, approver)
        handler = _handlers.get(request.kind)
        if handler is None:
            raise ApprovalError(f"No handler is registered for {request.kind!r} requests.")
        request.status = ApprovalRequest.Status.APPROVED
        request.decided_by = approver
        request.decided_at = timezone.now()
        request.decision_note = note[:500]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        handler(request, approver)
        audit.record(
            AuditAction.APPROVAL_APPROVED,
            obj=request,
            account_id=request.account_id,
            summary=f"Approved: {request.summary}",
            before={"status": "pending"},
            after={"status": "approved", "note": note},
            user_id=approver.pk,
        )
    return request


def reject(*, request_id: int, approver, note: str) -> ApprovalRequest:
    if not note.strip():
        raise ApprovalError("Say why the request is rejected.")
    with transaction.atomic():
        request = _lock_pending(request_id)
        _check_approver(request, approver, "reject")
        request.status = ApprovalRequest.Status.REJECTED
        request.decided_by = approver
        request.decided_at = timezone.now()
        request.decision_note = note[:500]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        on_reject = _rejection_handlers.get(request.kind)
        if on_reject is not None:
            on_reject(request, approver)
        audit.record(
            AuditAction.APPROVAL_REJECTED,
            obj=request,
            account_id=request.account_id,
            summary=f"Rejected: {request.summary}",
            before={"status": "pending"},
            after={"status": "rejected", "note": note},
            user_id=approver.pk,
        )
    return request


def cancel(*, request_id: int, maker, note: str = "") -> ApprovalRequest:
    with transaction.atomic():
        request = _lock_pending(request_id)
        if request.maker_id != maker.pk:
            raise ApprovalError("Only the person who made a request can withdraw it.")
        request.status = ApprovalRequest.Status.CANCELLED
        request.decided_at = timezone.now()
        request.decision_note = note[:500]
        request.save(update_fields=["status", "decided_at", "decision_note"])
        on_reject = _rejection_handlers.get(request.kind)
        if on_reject is not None:
            on_reject(request, maker)
        audit.record(AuditAction.APPROVAL_CANCELLED, obj=request, account_id=request.account_id, summary=request.summary)
    return request


def inbox_for(user):
    """Pending requests this user may decide: never their own, and only kinds
    their role may decide (amounts above their own limit are listed, marked
    for a higher approver, by the screen)."""
    if not permissions.has(user, DECIDE):
        return ApprovalRequest.objects.none()
    barred = [kind for kind, capability in _deciding_capability.items() if not permissions.has(user, capability)]
    return (
        ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING)
        .exclude(maker=user)
        .exclude(kind__in=barred)
        .select_related("maker")
        .order_by("requested_at", "id")
    )
