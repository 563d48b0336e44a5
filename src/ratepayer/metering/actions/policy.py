"""The read policy: what makes a read implausible, how long between reads, how many
estimates in a row. A new policy is a new row from its effective date; the ones before
stay, so what applied on any date can be shown (``queries.read_policy_on``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from ..errors import MeteringError
from ..models import ReadPolicy
from ..queries import read_policy_on

POLICY_CAPABILITY = "approval_limit.edit"  # supervisors set policies; there is no separate policy capability yet


def set_read_policy(*, user, effective_from: date, high_factor, low_factor, max_days_between_reads: int,
                    billing_window_days: int, max_consecutive_estimates: int, note: str = "") -> ReadPolicy:
    """Put a new read policy in force from ``effective_from`` (a new row; the old ones
    stay, so what applied on any date can be shown). Supervisors only; audited."""
    permissions.require(user, POLICY_CAPABILITY, "change the read policy")
    try:
        high, low = Decimal(str(high_factor)), Decimal(str(low_factor))
    except InvalidOperation:
        raise MeteringError("High and low factors must be numbers.") from None
    if not high > 1:
        raise MeteringError("High factor: must be more than 1 (3 holds a read using three times the expected usage).")
    if not 0 <= low < 1:
        raise MeteringError("Low factor: must be at least 0 and less than 1.")
    if not (1 <= max_days_between_reads <= 400 and 0 <= billing_window_days <= 31
            and 0 <= max_consecutive_estimates <= 12):
        raise MeteringError("Days between reads 1–400, billing window 0–31 days, consecutive estimates 0–12.")
    with transaction.atomic():
        if ReadPolicy.objects.filter(effective_from=effective_from).exists():
            raise MeteringError(f"A read policy already starts on {effective_from}; choose another date.")
        before = read_policy_on(effective_from)
        row = ReadPolicy.objects.create(effective_from=effective_from, high_factor=high, low_factor=low,
                                        max_days_between_reads=max_days_between_reads,
                                        billing_window_days=billing_window_days,
                                        max_consecutive_estimates=max_consecutive_estimates, note=note[:200])
        audit.record(AuditAction.READ_POLICY_SET, user_id=user.pk, obj=row, summary=f"read policy from {effective_from}",
                     before=before.__dict__, after=read_policy_on(effective_from).__dict__)
    return row
