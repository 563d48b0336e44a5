"""Queue, deliver and retry outgoing e-mail (see the package docstring).

Delivery claims a message with a lease: in one short transaction its
``attempts`` goes up and ``next_attempt_at`` moves a lease ahead, then the
message is sent outside any transaction and marked sent — or, when the relay
refuses, queued again after an exponential backoff, or failed after
``OUTBOX_MAX_ATTEMPTS``. A worker killed while sending leaves the message
queued with its lease, and the next sweep after the lease sends it again:
delivery is at least once, never lost. The sweep picks due messages with row
locks that skip rows another worker holds (PostgreSQL); SQLite serialises
the claiming transactions instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from .errors import OutboxError
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# source name -> function(ref) returning the attachment's bytes when the message is sent
ATTACHMENT_SOURCES: dict[str, Callable[[object], bytes]] = {}


def max_attempts() -> int:
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", 6))


def retry_seconds() -> int:
    return int(getattr(settings, "OUTBOX_RETRY_SECONDS", 60))


def lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "OUTBOX_LEASE_SECONDS", 300)))


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: the base, doubled each time, at most a day."""
    return timedelta(seconds=min(retry_seconds() * 2 ** max(attempts - 1, 0), 86400))


def register_attachment_source(name: str, produce: Callable[[object], bytes]) -> None:
    """A higher app names a kind of document it can produce for a message
    (billing registers ``bill_pdf``); the outbox never imports it."""
    ATTACHMENT_SOURCES[name] = produce


def attachment(filename: str, mimetype: str, source: str, ref) -> dict:
    """An attachment produced at delivery time by a registered source."""
    return {"filename": filename, "mimetype": mimetype, "source": source, "ref": ref}


def queue_message(*, to: str | Iterable[str], subject: str, body: str, attachments: list[dict] | None = None,
                  kind: str = "", obj=None, account_id: int | None = None) -> OutboxMessage:
    """Write a message to send once the caller's transaction commits.

    Call it inside the business transaction: if that rolls back, the message
    never existed. Nothing here talks to a mail relay."""
    recipients = [to] if isinstance(to, str) else list(to)
    recipients = [r.strip() for r in recipients if r and r.strip()]
    if not recipients or any("@" not in r for r in recipients):
        raise OutboxError(f"E-mail: {', '.join(recipients) or 'no address'} is not an e-mail address.")
    for item in attachments or []:
        if item.get("source") not in ATTACHMENT_SOURCES:
            raise OutboxError(f"Attachment {item.get('filename')!r}: no source {item.get('source')!r} is registered.")
    message = OutboxMessage.objects.create(
        to=recipients, subject=subject[:300], body=body, attachments=list(attachments or []), kind=kind[:40],
        object_type=obj._meta.label_lower if obj is not None else "", object_id=str(obj.pk) if obj is not None else "",
        account_id=account_id)
    _deliver_after_commit(message.pk)
    return message


def _deliver_after_commit(message_id: int) -> None:
    from .tasks import deliver_message

    def enqueue():
        try:
            deliver_message.enqueue(message_id)
        except Exception:  # the sweep of every worker sends it anyway
            logger.exception("could not enqueue delivery of outbox message %s", message_id)

    transaction.on_commit(enqueue)


def _claim(queryset, limit: int | None = None) -> list[int]:
    """Take the due messages of ``queryset`` for one attempt each (one transaction)."""
    now = timezone.now()
    with transaction.atomic():
        due = (queryset.filter(status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").select_for_update(skip_locked=True).values_list("pk", flat=True))
        ids = list(due[:limit] if limit else due)
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1,
                                                            next_attempt_at=now + lease())
    return ids


def _email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage(subject=message.subject, body=message.body, to=list(message.to))
    for item in message.attachments:
        produce = ATTACHMENT_SOURCES.get(item.get("source"))
        if produce is None:
            raise OutboxError(f"no attachment source {item.get('source')!r} is registered")
        email.attach(item["filename"], produce(item.get("ref")), item.get("mimetype") or "application/octet-stream")
    return email


def _send(message: OutboxMessage, connection) -> str:
    try:
        connection.send_messages([_email(message)])
    except Exception as exc:  # the relay's or the document's problem, kept on the message
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = timezone.now()
        if message.attempts >= max_attempts():
            OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED, last_error=error,
                                                               next_attempt_at=now)
            logger.warning("outbox message %s failed after %s attempts: %s", message.pk, message.attempts, error)
            return OutboxMessage.Status.FAILED
        OutboxMessage.objects.filter(pk=message.pk).update(last_error=error,
                                                           next_attempt_at=now + backoff(message.attempts))
        return OutboxMessage.Status.QUEUED
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.SENT, sent_at=timezone.now())
    return OutboxMessage.Status.SENT


def deliver(message_id: int) -> str:
    """Send one message if it is due and nobody else is sending it; returns its status after."""
    if not _claim(OutboxMessage.objects.filter(pk=message_id)):
        status = OutboxMessage.objects.filter(pk=message_id).values_list("status", flat=True).first()
        return status or "missing"
    connection = get_connection(fail_silently=False)
    try:
        return _send(OutboxMessage.objects.get(pk=message_id), connection)
    finally:
        _close(connection)


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:  # a relay that refused the connection has nothing to close
        pass


def deliver_due(limit: int | None = 100) -> dict[str, int]:
    """Send the messages that are due (the workers' sweep): counts by status after."""
    ids = _claim(OutboxMessage.objects.all(), limit)
    counts: dict[str, int] = {}
    if not ids:
        return counts
    connection = get_connection(fail_silently=False)
    try:
        for message in OutboxMessage.objects.filter(pk__in=ids).order_by("pk"):
            status = _send(message, connection)
            counts[status] = counts.get(status, 0) + 1
    finally:
        _close(connection)
    return counts


def retry(*, user, message_id: int) -> OutboxMessage:
    """Send a failed (or waiting) message again now, with a fresh set of attempts."""
    permissions.require(user, "mail.manage", "retry outgoing e-mail")
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise OutboxError(f"There is no outgoing e-mail #{message_id}.")
        if message.status == OutboxMessage.Status.SENT:
            raise OutboxError(f"E-mail #{message_id} was already sent on "
                              f"{timezone.localtime(message.sent_at):%Y-%m-%d %H:%M}; it is not sent again.")
        before = {"status": message.status, "attempts": message.attempts, "last_error": message.last_error}
        message.status, message.attempts, message.next_attempt_at = OutboxMessage.Status.QUEUED, 0, timezone.now()
        message.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit.record(AuditAction.OUTBOX_RETRIED, user_id=user.pk, obj=message, account_id=message.account_id,
                     summary=f"E-mail #{message.pk} to {', '.join(message.to)} queued again", before=before)
        _deliver_after_commit(message.pk)
    return message
