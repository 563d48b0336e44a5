"""The audit trail: one function to write it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from . import context
from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, default=lambda v: str(v) if isinstance(v, Decimal) else str(v)))


def record(
    action: str,
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
