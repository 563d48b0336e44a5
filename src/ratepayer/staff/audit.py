"""The audit trail: one function to write it, and the enumeration of what it records.

``AuditAction``'s values are the strings stored in ``AuditEvent.action``
(rows already written stay valid); ``record`` refuses any other. A new action
adds a member here; whatever varies (a decision, an amount) goes in the row's
summary, before and after, never in the action.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import models

from . import context
from .models import AuditEvent


class AuditAction(models.TextChoices):
    ACCOUNT_CLOSED = "account.closed"
    ACCOUNT_NOTE_ADDED = "account.note_added"
    ACCOUNT_OPENED = "account.opened"
    ACCOUNT_UPDATED = "account.updated"
    ACCOUNT_VIEWED = "account.viewed"

    ACH_REPRESENT_CANCELLED = "ach.represent_cancelled"
    ACH_REPRESENT_QUEUED = "ach.represent_queued"

    ADJUSTMENT_CANCELLED = "adjustment.cancelled"
    ADJUSTMENT_POSTED = "adjustment.posted"
    ADJUSTMENT_REJECTED = "adjustment.rejected"
    ADJUSTMENT_REQUESTED = "adjustment.requested"

    AGENCY_ASSIGNED = "agency.assigned"
    AGENCY_ASSIGNMENT_CLOSED = "agency.assignment_closed"
    AGENCY_FILE_WRITTEN = "agency.file_written"
    AGENCY_REMITTANCE_RECORDED = "agency.remittance_recorded"
    AGENCY_SAVED = "agency.saved"

    ARRANGEMENT_ACTIVATED = "arrangement.activated"
    ARRANGEMENT_BROKEN = "arrangement.broken"
    ARRANGEMENT_CANCELLED = "arrangement.cancelled"
    ARRANGEMENT_CREATED = "arrangement.created"
    ARRANGEMENT_KEPT = "arrangement.kept"

    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"

    APPROVAL_APPROVED = "approval.approved"
    APPROVAL_CANCELLED = "approval.cancelled"
    APPROVAL_REJECTED = "approval.rejected"
    APPROVAL_REQUESTED = "approval.requested"

    APPROVAL_LIMIT_SET = "approval_limit.set"

    AUTOPAY_CHANGED = "autopay.changed"
    AUTOPAY_ENROLLED = "autopay.enrolled"
    AUTOPAY_FILE_CREATED = "autopay.file_created"
    AUTOPAY_STOPPED = "autopay.stopped"

    BALANCE_TRANSFERRED = "balance.transferred"

    BANK_EXCEPTION_CLEARED = "bank.exception_cleared"
    BANK_IMPORTED = "bank.imported"
    BANK_MATCHED = "bank.matched"

    BILL_CANCEL_REBILL = "bill.cancel_rebill"
    BILL_CORRECTED = "bill.corrected"
    BILL_FINAL = "bill.final"
    BILL_RELEASED = "bill.released"

    BILLING_POLICY_SET = "billing_policy.set"

    BILLRUN_DOCUMENTS_REQUESTED = "billrun.documents_requested"
    BILLRUN_STARTED = "billrun.started"

    COLLECTION_POLICY_APPROVED = "collection_policy.approved"
    COLLECTION_POLICY_REJECTED = "collection_policy.rejected"
    COLLECTION_POLICY_REQUESTED = "collection_policy.requested"

    COLLECTIONS_RUN = "collections.run"

    CONTACT_ADDED = "contact.added"
    CONTACT_REMOVED = "contact.removed"
    CONTACT_UPDATED = "contact.updated"

    CONTRACT_CREATED = "contract.created"
    CONTRACT_PAID_OFF = "contract.paid_off"
    CONTRACT_PREPAID = "contract.prepaid"
    CONTRACT_TRANSFERRED = "contract.transferred"

    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_DUPLICATE_CONFIRMED = "customer.duplicate_confirmed"
    CUSTOMER_PII_VIEWED = "customer.pii_viewed"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_VIEWED = "customer.viewed"

    DEMO_BUILT = "demo.built"

    DEPOSIT_INTEREST_RATE = "deposit.interest_rate"
    DEPOSIT_PREPARED = "deposit.prepared"
    DEPOSIT_RECEIVED = "deposit.received"
    DEPOSIT_RELEASED = "deposit.released"
    DEPOSIT_REQUIRED = "deposit.required"

    DISPUTE_CHANGED = "dispute.changed"
    DISPUTE_CLOSED = "dispute.closed"
    DISPUTE_OPENED = "dispute.opened"

    DRAWER_COUNTED = "drawer.counted"
    DRAWER_OPENED = "drawer.opened"
    DRAWER_RECOUNT = "drawer.recount"

    HEAT_ALERT_CHANGED = "heat_alert.changed"
    HEAT_ALERT_ENTERED = "heat_alert.entered"
    HEAT_ALERT_WITHDRAWN = "heat_alert.withdrawn"
    HEAT_ALERTS_IMPORTED = "heat_alerts.imported"

    INTERVALS_IMPORTED = "intervals.imported"

    LANDLORD_CHANGED = "landlord.changed"
    LANDLORD_ENDED = "landlord.ended"
    LANDLORD_REGISTERED = "landlord.registered"

    LIEN_CERTIFIED = "lien.certified"
    LIEN_RELEASED = "lien.released"

    LOCKBOX_IMPORTED = "lockbox.imported"

    LOGIN_FAILED = "login.failed"

    MEDICAL_CERTIFICATE_CERTIFIED = "medical_certificate.certified"
    MEDICAL_CERTIFICATE_CHANGED = "medical_certificate.changed"
    MEDICAL_CERTIFICATE_CLOSED = "medical_certificate.closed"
    MEDICAL_CERTIFICATE_RECORDED = "medical_certificate.recorded"

    METER_CHANGED = "meter.changed"
    METER_INSTALLED = "meter.installed"
    METER_REMOVED = "meter.removed"

    OUTBOX_RETRIED = "outbox.retried"

    PAYMENT_RECEIPT_EMAILED = "payment.receipt_emailed"
    PAYMENT_REFUSED = "payment.refused"
    PAYMENT_RETURN_NOTIFIED = "payment.return_notified"
    PAYMENT_RETURNED = "payment.returned"
    PAYMENT_TAKEN = "payment.taken"
    PAYMENT_TRANSFERRED = "payment.transferred"

    PHONE_IMPORTED = "phone.imported"

    PREMISE_CREATED = "premise.created"
    PREMISE_ZONE_SET = "premise.zone_set"

    RATES_EXAMPLES_LOADED = "rates.examples_loaded"
    RATES_SCHEDULE_CREATED = "rates.schedule_created"
    RATES_VERSION_APPROVED = "rates.version_approved"
    RATES_VERSION_CHANGED = "rates.version_changed"
    RATES_VERSION_DRAFTED = "rates.version_drafted"
    RATES_VERSION_REJECTED = "rates.version_rejected"
    RATES_VERSION_SUBMITTED = "rates.version_submitted"
    RATES_VERSION_WITHDRAWN = "rates.version_withdrawn"

    READ_CONSUMPTION_RECOMPUTED = "read.consumption_recomputed"
    READ_ENTERED = "read.entered"

    READ_EXCEPTION_ACCEPT = "read_exception.accept"
    READ_EXCEPTION_CORRECT = "read_exception.correct"
    READ_EXCEPTION_ESTIMATE = "read_exception.estimate"
    READ_EXCEPTION_REREAD = "read_exception.reread"

    READ_POLICY_SET = "read_policy.set"

    READS_BULK_LOADED = "reads.bulk_loaded"
    READS_ESTIMATED = "reads.estimated"
    READS_IMPORTED = "reads.imported"

    REFUND_CLEARED = "refund.cleared"
    REFUND_REQUESTED = "refund.requested"
    REFUND_UNCLAIMED = "refund.unclaimed"

    SERVICE_ORDER_CANCELLED = "service_order.cancelled"
    SERVICE_ORDER_COMPLETED = "service_order.completed"
    SERVICE_ORDER_CREATED = "service_order.created"
    SERVICE_ORDER_SCHEDULED = "service_order.scheduled"

    SERVICE_STARTED = "service.started"
    SERVICE_STOPPED = "service.stopped"
    SERVICE_TRANSFERRED = "service.transferred"

    SERVICE_POINT_CREATED = "service_point.created"

    SUSPENSE_APPLIED = "suspense.applied"

    USER_CREATED = "user.created"
    USER_DEACTIVATED = "user.deactivated"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_REACTIVATED = "user.reactivated"
    USER_ROLE_CHANGED = "user.role_changed"

    WINTER_PROTECTION_CHANGED = "winter_protection.changed"
    WINTER_PROTECTION_CLOSED = "winter_protection.closed"
    WINTER_PROTECTION_REQUESTED = "winter_protection.requested"

    WRITE_OFF_CANCELLED = "write_off.cancelled"
    WRITE_OFF_POSTED = "write_off.posted"
    WRITE_OFF_RECOVERED = "write_off.recovered"
    WRITE_OFF_RECOVERY_REVERSED = "write_off.recovery_reversed"
    WRITE_OFF_REJECTED = "write_off.rejected"
    WRITE_OFF_REQUESTED = "write_off.requested"


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, default=lambda v: str(v) if isinstance(v, Decimal) else str(v)))


def record(
    action: AuditAction,
    *,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    account_id: int | None = None,
    summary: str = "",
    before: Any = None,
    after: Any = None,
    user_id: int | None = None,
) -> AuditEvent:
    """Append an audit event. The actor and address come from the current
    context (request middleware or `context.acting_as`) unless given."""
    action = AuditAction(action)  # ValueError for an action that is not in the enumeration
    actor = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return AuditEvent.objects.create(
        user_id=user_id if user_id is not None else actor.user_id,
        ip_address=actor.ip_address,
        channel=actor.channel,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        account_id=account_id,
        summary=summary[:300],
        before=_jsonable(before),
        after=_jsonable(after),
    )
