"""Outgoing e-mail: what is waiting or failed, and sending a message again.

The same action as the console's Outgoing e-mail page (``outbox.actions.retry``),
so the capability check (``mail.manage``, supervisors) and the audit row are its own."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status

from ratepayer.outbox import actions
from ratepayer.outbox.models import OutboxMessage
from ratepayer.staff import permissions

from .errors import ApiError
from .pagination import limit_param, offset_param, page
from .schemas import examples, read, write

router = Router()


class OutboxMessageOut(Schema):
    model_config = examples({"id": 311, "to": ["pat@example.org"], "subject": "Your payment was returned",
                             "kind": "ach_return", "status": "failed", "attempts": 6,
                             "next_attempt_at": "2026-12-03T09:12:00-08:00",
                             "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
                             "created_at": "2026-12-03T08:00:04-08:00", "sent_at": None})
    id: int
    to: list[str]
    subject: str
    kind: str
    status: str = Field(description="queued (waiting for its next attempt), sent or failed")
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None


class OutboxPage(Schema):
    model_config = examples({"offset": 0, "limit": 50, "next_offset": None, "items": [
        OutboxMessageOut.model_config["json_schema_extra"]["examples"][0]]})
    offset: int
    limit: int
    next_offset: int | None
    items: list[OutboxMessageOut]


def _out(m: OutboxMessage) -> OutboxMessageOut:
    return OutboxMessageOut(id=m.pk, to=m.to, subject=m.subject, kind=m.kind, status=m.status, attempts=m.attempts,
                            next_attempt_at=m.next_attempt_at, last_error=m.last_error, created_at=m.created_at,
                            sent_at=m.sent_at)


@read(router, "/outbox", response={200: OutboxPage}, operation_id="list_outbox_messages",
      summary="Outgoing e-mail not yet delivered (or, with status, any)")
def list_outbox_messages(request, status: str = "unsent", offset: int = offset_param(), limit: int = limit_param()):
    permissions.require(request.auth, "mail.manage", "see outgoing e-mail")
    rows = OutboxMessage.objects.order_by("next_attempt_at", "pk")
    if status == "unsent":
        rows = rows.exclude(status=OutboxMessage.Status.SENT)
    elif status in OutboxMessage.Status.values:
        rows = rows.filter(status=status)
    else:
        raise ApiError(422, "invalid", f"status: {status!r} is not unsent, queued, sent or failed.")
    items, next_offset = page(list(rows[offset:offset + limit + 1]), offset, limit)
    return OutboxPage(offset=offset, limit=limit, next_offset=next_offset, items=[_out(m) for m in items])


@write(router, "/outbox/{message_id}/retry", response={202: OutboxMessageOut}, operation_id="retry_outbox_message",
       summary="Send a failed or waiting e-mail again now")
def retry_outbox_message(request, message_id: int):
    """Queues the message again with a fresh set of attempts; a worker sends it. A sent message is refused
    (``outbox_refused``)."""
    message = actions.retry(user=request.auth, message_id=message_id)
    return Status(202, _out(message))
