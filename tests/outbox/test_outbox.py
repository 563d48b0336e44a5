"""The outbox: messages exist exactly when the business change does, and go out after commit."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ratepayer.outbox import actions
from ratepayer.outbox.errors import OutboxError
from ratepayer.outbox.models import OutboxMessage
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.models import AuditEvent


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def no_relay(settings):
    """SMTP to a port nothing listens on: every attempt is refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 5
    settings.OUTBOX_MAX_ATTEMPTS, settings.OUTBOX_RETRY_SECONDS = 3, 60


def make_due(message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_rolled_back_transaction_leaves_no_message(db):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            actions.queue_message(to="pat@example.org", subject="Your payment was returned", body="...")
            raise RuntimeError("the import failed after the notice was written")
    assert not OutboxMessage.objects.exists()


def test_delivery_is_enqueued_after_commit_and_sends(db, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks() as callbacks:
        message = actions.queue_message(to="pat@example.org", subject="Receipt R-1", body="Thank you")
        assert not DBTaskResult.objects.exists()  # nothing runs before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("deliver_message") and task.args_kwargs["args"] == [message.pk]
    assert mail.outbox == []
    assert actions.deliver(message.pk) == "sent"
    assert [m.subject for m in mail.outbox] == ["Receipt R-1"]
    assert actions.deliver(message.pk) == "sent"  # a second task for it sends nothing again
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1 and message.sent_at is not None


def test_delivery_retries_with_backoff_then_fails(db, no_relay):
    message = actions.queue_message(to="pat@example.org", subject="Your payment was returned", body="...")
    waits = []
    for attempt in (1, 2):
        before = timezone.now()
        assert actions.deliver_due() == {"queued": 1}
        message.refresh_from_db()
        assert message.status == "queued" and message.attempts == attempt
        assert "Connection refused" in message.last_error or "ConnectionRefusedError" in message.last_error
        waits.append((message.next_attempt_at - before).total_seconds())
        assert actions.deliver_due() == {}  # not due yet
        make_due(message.pk)
    assert 59 <= waits[0] <= 61 and 119 <= waits[1] <= 121  # 60 s, then doubled
    assert actions.deliver_due() == {"failed": 1}
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 3
    make_due(message.pk)
    assert actions.deliver_due() == {}  # a failed message waits for a person


def test_a_supervisor_retries_a_failed_message_and_a_clerk_cannot(db, users, settings):
    message = actions.queue_message(to="pat@example.org", subject="Receipt", body="...")
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=6, last_error="refused")
    with pytest.raises(PermissionRefused):
        actions.retry(user=users["specialist"], message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 6
    actions.retry(user=users["supervisor"], message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 0
    assert AuditEvent.objects.filter(action="outbox.retried", object_id=str(message.pk)).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert actions.deliver_due() == {"sent": 1}
    with pytest.raises(OutboxError, match="already sent"):
        actions.retry(user=users["supervisor"], message_id=message.pk)


def test_a_bad_address_or_unknown_attachment_is_refused(db):
    with pytest.raises(OutboxError, match="not an e-mail address"):
        actions.queue_message(to="nobody", subject="x", body="y")
    with pytest.raises(OutboxError, match="no source"):
        actions.queue_message(to="a@example.org", subject="x", body="y",
                              attachments=[actions.attachment("a.pdf", "application/pdf", "nothing", 1)])
    assert not OutboxMessage.objects.exists()


def test_the_console_page_shows_the_failure_and_retries(client, users, no_relay):
    message = actions.queue_message(to="pat@example.org", subject="Your payment was returned", body="...")
    for _ in range(3):
        make_due(message.pk)
        actions.deliver_due()
    client.force_login(users["supervisor"])
    page = client.get("/outbox/", secure=True)
    assert page.status_code == 200
    text = page.content.decode()
    assert "pat@example.org" in text and "failed" in text and "Connection refused" in text
    client.force_login(users["specialist"])
    assert client.get("/outbox/", secure=True).status_code == 403
    assert client.post(f"/outbox/{message.pk}/retry", secure=True).status_code == 403
    client.force_login(users["supervisor"])
    response = client.post(f"/outbox/{message.pk}/retry", secure=True)
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 0


def test_the_api_lists_and_retries_with_the_same_checks(api, tokens, users, no_relay):
    message = actions.queue_message(to="pat@example.org", subject="Receipt", body="...")
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=3, last_error="refused")
    assert api.get("/api/v1/outbox", tokens["specialist"]).status_code == 403
    refused = api.post(f"/api/v1/outbox/{message.pk}/retry", tokens["specialist"])
    assert refused.status_code == 403 and refused.json()["code"] == "permission_refused"
    assert OutboxMessage.objects.get().status == "failed"
    listed = api.get("/api/v1/outbox", tokens["supervisor"]).json()
    assert [m["id"] for m in listed["items"]] == [message.pk] and listed["items"][0]["status"] == "failed"
    done = api.post(f"/api/v1/outbox/{message.pk}/retry", tokens["supervisor"])
    assert done.status_code == 202 and done.json()["status"] == "queued"
