"""Billing: account adjustments (bills, bill runs and documents follow)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.ledger.models import JournalEntry


class AdjustmentReason(models.Model):
    code = models.CharField(max_length=16, unique=True)
    description = models.CharField(max_length=120)
    allows_debit = models.BooleanField(default=True)
    allows_credit = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.description}"


class Adjustment(models.Model):
    """A debit or credit to one service agreement's balance, with a reason.

    Within the maker's limit it posts at once; above it waits for approval
    (staff.approvals) and posts when approved.
    """

    class Direction(models.TextChoices):
        DEBIT = "debit", "Debit (customer owes more)"
        CREDIT = "credit", "Credit (customer owes less)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        POSTED = "posted", "Posted"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Withdrawn"

    TRANSITIONS = {
        "pending": {"posted", "rejected", "cancelled"},
        "posted": set(),
        "rejected": set(),
        "cancelled": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="adjustments")
    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="adjustments")
    direction = models.CharField(max_length=6, choices=Direction.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.ForeignKey(AdjustmentReason, on_delete=models.PROTECT)
    memo = models.CharField(max_length=300)
    effective_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    approval_request_id = models.BigIntegerField(null=True, blank=True)
    journal_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="adjustment")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="adjustment_amount_positive"),
            models.CheckConstraint(condition=~Q(status="posted") | Q(journal_entry__isnull=False),
                                   name="posted_adjustment_has_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.amount} ({self.reason.code})"
