"""Staff controls: approval limits, maker-checker approvals, audit trail,
login throttling and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .roles import LIMITED_ACTIONS, ROLES


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never updated or deleted (database triggers
    enforce the same on both SQLite and PostgreSQL)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")


class ApprovalLimit(AppendOnlyModel):
    """The largest amount a role may do without approval, from a date on.
    A change is a new row; the row in force is the latest effective one."""

    role = models.CharField(max_length=64, choices=[(r, r) for r in ROLES])
    action = models.CharField(max_length=32, choices=list(LIMITED_ACTIONS.items()))
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    effective_from = models.DateField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["role", "action", "-effective_from", "-id"]
        indexes = [models.Index(fields=["role", "action", "effective_from"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="approval_limit_not_negative")]

    def __str__(self) -> str:
        return f"{self.role} {self.action} ≤ {self.amount} from {self.effective_from}"


class ApprovalRequest(models.Model):
    """A request waiting for a second person (maker-checker).

    The action that needs approval stores what to do in ``payload`` and
    registers a handler for its ``kind`` (staff.approvals.register); approving
    runs the handler in the same transaction as the decision.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=40)
    action = models.CharField(max_length=32, blank=True, help_text="limited action (adjustment, refund, ...)")
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    summary = models.CharField(max_length=300)
    payload = models.JSONField(default=dict)
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests_made")
    requested_at = models.DateTimeField(auto_now_add=True)
    required_role_limit = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="approval_requests_decided"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("maker")),
                name="approval_maker_cannot_decide",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.status}"


class AuditEvent(AppendOnlyModel):
    """Who did what, when, from where — every state change and every account view."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=12, default="system")
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account_id", "at"]),
            models.Index(fields=["user", "at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class LoginFailure(models.Model):
    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is
    shown once when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
