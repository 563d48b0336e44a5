"""One row per e-mail to send: written in the business transaction, delivered after commit."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.JSONField(help_text="list of addresses")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # [{"filename", "mimetype", "source", "ref"}]: the document is produced when
    # the message is sent, by the source a higher app registered
    # (outbox.actions.register_attachment_source), e.g. ("bill_pdf", bill id).
    attachments = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=40, blank=True, help_text="what the message is (receipt, ach_return, ebill)")
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True, help_text="the customer account it concerns")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"e-mail {self.pk} to {', '.join(self.to)}: {self.subject}"
