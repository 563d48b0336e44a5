"""Billing: cycle schedules, bill runs and their chunks, bills with segments and
lines, e-bill deliveries, and account adjustments.

The bill-run design is in ``billing.billrun``."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.models import Account, BillCycle, ServiceAgreement
from ratepayer.ledger.models import JournalEntry
from ratepayer.rates.models import SERVICES, RateVersion
from ratepayer.rating import rate_text


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


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


class BillingPolicy(models.Model):
    """What the board sets for billing, effective-dated (the newest row in force wins)."""

    effective_from = models.DateField(unique=True)
    days_to_bill = models.PositiveSmallIntegerField(
        default=2, help_text="business days from the scheduled read date to the bill date")
    days_until_due = models.PositiveSmallIntegerField(
        default=20, help_text="calendar days from the bill date to the due date (rolled to a business day)")
    high_bill_percent = models.DecimalField(
        max_digits=6, decimal_places=2, default=100,
        help_text="hold a bill more than this % above the account's 12-month average")
    high_bill_minimum_history = models.PositiveSmallIntegerField(
        default=3, help_text="bills of history needed before the high-bill test applies")
    max_consecutive_estimates = models.PositiveSmallIntegerField(
        default=3, help_text="hold when a service would be estimated more times in a row than this")
    regular_period_days = models.PositiveSmallIntegerField(
        default=30, help_text="length of a regular bill period; first and final bills prorate per-bill charges by it")
    interval_register_tolerance_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("1.00"),
        help_text="hold a bill when an interval meter's intervals over the period differ from its register's "
                  "advance by more than this % of the advance")
    winter_first_month = models.PositiveSmallIntegerField(
        default=12, help_text="winter-average sewer: the first month of the winter whose water use it is billed on")
    winter_last_month = models.PositiveSmallIntegerField(
        default=3, help_text="winter-average sewer: the last month of that winter (may be before the first: Dec-Mar)")
    bill_message = models.CharField(max_length=300, blank=True, help_text="printed on every bill (English)")
    bill_message_es = models.CharField(max_length=300, blank=True)
    bill_message_ru = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name_plural = "billing policies"

    def __str__(self) -> str:
        return f"Billing policy from {self.effective_from}"

    def winter_before(self, day: date) -> tuple[date, date]:
        """(first day, last day) of the latest winter that ended on or before
        ``day``: the base period of winter-average sewer billed on ``day``."""
        first, last = self.winter_first_month, self.winter_last_month
        year = day.year
        end = _month_end(year, last)
        if end > day:
            year -= 1
            end = _month_end(year, last)
        start_year = year if first <= last else year - 1
        return date(start_year, first, 1), end


class CycleSchedule(models.Model):
    """One scheduled period of a bill cycle: read date -> bill date -> due date."""

    cycle = models.ForeignKey(BillCycle, on_delete=models.PROTECT, related_name="schedules")
    read_date = models.DateField(help_text="scheduled meter read date = the period end of the bill run")
    bill_date = models.DateField()
    due_date = models.DateField()

    class Meta:
        ordering = ["read_date", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "read_date"], name="one_schedule_per_cycle_read_date"),
            models.CheckConstraint(condition=Q(bill_date__gte=models.F("read_date")), name="bill_after_read"),
            models.CheckConstraint(condition=Q(due_date__gt=models.F("bill_date")), name="due_after_bill"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} read {self.read_date}"


class BillRun(models.Model):
    """Billing of one cycle for one scheduled read date (period end)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"

    cycle = models.ForeignKey(BillCycle, on_delete=models.PROTECT, related_name="bill_runs")
    period_end = models.DateField()
    bill_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    accounts_due = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    bills_issued = models.PositiveIntegerField(default=0)
    bills_held = models.PositiveIntegerField(default=0)
    amount_issued = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "cycle"]
        constraints = [models.UniqueConstraint(fields=["cycle", "period_end"], name="one_run_per_cycle_period")]

    def __str__(self) -> str:
        return f"Bill run {self.cycle.code} {self.period_end}"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.chunks_total else int(100 * self.chunks_done / self.chunks_total)


class BillRunChunk(models.Model):
    """A slice of a run's accounts, claimed by one worker at a time.

    Claimed with a conditional UPDATE (status pending, or claimed with a stale
    heartbeat); done in the same transaction that writes its bills."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        CLAIMED = "claimed", "Being billed"
        DONE = "done", "Done"

    run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    account_ids = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    worker = models.CharField(max_length=80, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    bills_issued = models.PositiveIntegerField(default=0)
    bills_held = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        indexes = [models.Index(fields=["run", "status"])]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="one_chunk_number_per_run")]


HOLD_REASONS = {
    "high_bill": "Bill is far above the 12-month average",
    "too_many_estimates": "Too many estimated reads in a row",
    "zero_usage": "Zero usage on an active service",
    "negative_total": "Bill total is negative",
    "missing_rate": "No approved rate for the period",
    "rating_error": "The rate could not be applied",
    "usage_problem": "No usable read for the period",
    "interval_register_mismatch": "Interval data and register reads disagree",
}


class Bill(models.Model):
    """One account's bill for one period, with a segment per service agreement.

    Issued bills are posted to the ledger in the same transaction (journal
    entry idempotency key ``bill:<id>``); held bills wait in the review queue
    unposted; a cancelled bill's entry is reversed and its rebill links back."""

    class Status(models.TextChoices):
        HELD = "held", "Held for review"
        ISSUED = "issued", "Issued"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {"held": {"issued", "cancelled"}, "issued": {"cancelled"}, "cancelled": set()}

    # db_constraint=False: checked per statement (ratepayer.db.references, migration 0005); db_index=False
    # where a composite index below starts with the column
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="bills", db_constraint=False,
                                db_index=False)
    run = models.ForeignKey(BillRun, null=True, blank=True, on_delete=models.PROTECT, related_name="bills",
                            db_constraint=False, db_index=False)
    period_start = models.DateField()
    period_end = models.DateField(help_text="the cycle's scheduled read date for this bill")
    bill_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices)
    hold_reasons = models.JSONField(default=list, blank=True, help_text="[{code, message}] why it was held")
    current_charges = models.DecimalField(max_digits=14, decimal_places=2)
    previous_balance = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2)
    language = models.CharField(max_length=2, default="en")
    corrects = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="corrected_by", help_text="the cancelled bill this one replaces")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", db_index=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", db_index=False)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        indexes = [models.Index(fields=["account", "period_end"]), models.Index(fields=["run", "status"]),
                   models.Index(fields=["status", "period_end"])]
        constraints = [
            models.UniqueConstraint(fields=["account", "period_end"], condition=~Q(status="cancelled"),
                                    name="one_live_bill_per_account_period"),
        ]

    def __str__(self) -> str:
        return f"Bill {self.pk} ({self.account.number} {self.period_end})"

    @property
    def idempotency_key(self) -> str:
        return f"bill:{self.pk}"


class BillSegment(models.Model):
    """One service agreement's part of a bill: usage, reads and rate."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="segments", db_constraint=False)
    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="bill_segments",
                                  db_constraint=False, db_index=False)
    service = models.CharField(max_length=16, choices=SERVICES)
    customer_class = models.CharField(max_length=20)
    period_start = models.DateField()
    period_end = models.DateField(help_text="the bill's period end (scheduled read date)")
    read_date = models.DateField(null=True, blank=True, help_text="date of the closing read actually billed")
    class QuantitySource(models.TextChoices):
        REGISTER = "register", "register reads"
        INTERVAL = "interval", "interval data"

    quantity = models.DecimalField(max_digits=14, decimal_places=4, default=0,
                                   help_text="the quantity billed (for interval-rated meters, the intervals' total)")
    quantity_source = models.CharField(max_length=8, choices=QuantitySource.choices, blank=True,
                                       help_text="where the quantity billed came from (blank: unmetered)")
    unit = models.CharField(max_length=8, blank=True)
    demand_kw = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    read_type = models.CharField(max_length=10, blank=True)
    consecutive_estimates = models.PositiveSmallIntegerField(default=0)
    opening_read_id = models.BigIntegerField(null=True, blank=True)
    closing_read_id = models.BigIntegerField(null=True, blank=True)
    meter_serials = models.CharField(max_length=200, blank=True)
    rate_version = models.ForeignKey(RateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     db_constraint=False, db_index=False)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    problem = models.CharField(max_length=300, blank=True, help_text="why this segment could not be rated")
    cancelled = models.BooleanField(default=False, help_text="mirrors the bill: a cancelled bill frees the period")

    class Meta:
        ordering = ["bill", "service", "id"]
        indexes = [models.Index(fields=["agreement", "period_end"])]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "period_end"], condition=Q(cancelled=False),
                                    name="one_live_segment_per_agreement_period"),
        ]


class BillLine(models.Model):
    segment = models.ForeignKey(BillSegment, on_delete=models.PROTECT, related_name="lines", db_constraint=False)
    sequence = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, help_text="fixed, energy, demand, minimum, rider, tax, credit")
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit = models.CharField(max_length=12, blank=True)
    rate = models.DecimalField(max_digits=16, decimal_places=8, help_text="up to 8 places, as tariffs quote them")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    gl_account = models.CharField(max_length=20, help_text="GL account credited (from the posting rules)")

    class Meta:
        ordering = ["segment", "sequence"]

    @property
    def rate_text(self) -> str:
        """The rate with the places the tariff quotes (0.09527, 0.11466666), at least cents."""
        return rate_text(self.rate)


class BillDelivery(models.Model):
    """An e-bill e-mail sent for a bill (what the console shows as sent)."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=8, default="email")
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["bill", "channel"], name="one_delivery_per_bill_channel")]
