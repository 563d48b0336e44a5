"""Background delivery of outbox messages (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from . import actions


@task()
def deliver_message(message_id: int) -> str:
    """Send one queued message now (after the transaction that wrote it committed)."""
    return actions.deliver(message_id)
