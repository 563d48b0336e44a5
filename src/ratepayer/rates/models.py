"""Rate schedules and their effective-dated versions (stored tariff documents)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

# the names customers read on bills and receipts (translated, context "service")
SERVICES = [
    ("electric", pgettext_lazy("service", "Electric")),
    ("water", pgettext_lazy("service", "Water")),
    ("sewer", pgettext_lazy("service", "Sewer")),
    ("stormwater", pgettext_lazy("service", "Stormwater")),
    ("refuse", pgettext_lazy("service", "Refuse")),
]


class RateSchedule(models.Model):
    code = models.CharField(max_length=32, unique=True, help_text="e.g. E-7, W-RES, S-RES")
    name = models.CharField(max_length=120)
    service = models.CharField(max_length=16, choices=SERVICES)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="where the published tariff is")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RateVersion(models.Model):
    """One version of a schedule's tariff document, in force from a date.

    A version is drafted, then approved by a second person before it can bill
    anyone; an approved version is never edited (a new version replaces it).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    # draft -> pending (submitted) -> approved | rejected; a withdrawn request
    # returns the version to draft. Approved and rejected versions are final.
    TRANSITIONS = {
        Status.DRAFT: {Status.PENDING},
        Status.PENDING: {Status.APPROVED, Status.REJECTED, Status.DRAFT},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    }

    schedule = models.ForeignKey(RateSchedule, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateField()
    document = models.JSONField(help_text="the tariff document (rating model)")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["schedule", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "effective_from"],
                condition=models.Q(status="approved"),
                name="one_approved_version_per_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule.code} from {self.effective_from} ({self.status})"

    def save(self, *args, **kwargs):
        # The last line of defence; the actions never try. An approved version
        # may have billed someone: a change is a new version, never an edit.
        if self.pk is not None and RateVersion.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists():
            raise ValueError(f"rate version #{self.pk} is approved and cannot be changed; draft a new version")
        super().save(*args, **kwargs)
