"""Meter reads, read exceptions, read policy and interval data.

Register reads
    One ``RegisterRead`` per meter per read. ``consumption`` is the usage since the
    meter's previous billable read, already multiplied by the meter multiplier and with
    dial rollover resolved (metering.calculations), so a bill's quantity is the sum of
    ``consumption`` over the reads in its period, across meters when a meter was changed.
    An estimated read stores a register value too, so the next actual read's consumption
    (actual − estimate) trues the estimate up without touching the billed read.
    A read that fails validation is stored with status ``exception`` (not billable) and a
    ``ReadException`` row that a specialist works; nothing is ever deleted.

Interval data — storage choice
    ``IntervalDay`` holds one row per meter per UTC day with that day's intervals packed
    into bytes: little-endian int32 watt-hours, one slot per interval (24 for hourly, 96
    for 15-minute), ``MISSING`` (−2³¹) in a slot nobody reported. The key
    (meter, day) is unique, so imports upsert whole days set-wise and a range read for a
    bill run is one indexed query returning 1 row per meter-day that numpy turns into
    arrays with ``frombuffer`` — no per-interval Python objects. One row per interval
    would be 35 million rows per 1,000 hourly meters a year (140 million at 15 minutes);
    packed days are 365,000 rows of 96–384 bytes, on SQLite and PostgreSQL alike
    (bench/metering.py measures both layouts). Resolution is 1 Wh, what ESPI
    meters report. Readings longer than a day (Green Button billing-period data) go to
    ``PeriodUsage`` instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.models import CUSTOMER_CLASSES, Meter, ServicePoint
from ratepayer.rates.models import SERVICES

MISSING = -(2**31)  # slot value for an interval nobody reported


class ReadPolicy(models.Model):
    """Validation and estimation policy, effective-dated: the row in force on a date is
    the latest with ``effective_from`` on or before it. A change is a new row."""

    effective_from = models.DateField(unique=True)
    high_factor = models.DecimalField(
        max_digits=6, decimal_places=2, default=3,
        help_text="a read is high when its daily usage is more than this times the expected daily usage")
    low_factor = models.DecimalField(
        max_digits=6, decimal_places=2, default="0.25",
        help_text="a read is low when its daily usage is less than this times the expected daily usage")
    max_days_between_reads = models.PositiveSmallIntegerField(
        default=45, help_text="a read dated more than this many days after the previous read is out of window")
    billing_window_days = models.PositiveSmallIntegerField(
        default=5, help_text="a bill's closing read may be this many days before or after the scheduled read date")
    max_consecutive_estimates = models.PositiveSmallIntegerField(
        default=2, help_text="bills in a row that may be estimated before an actual read is required")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name_plural = "read policies"
        constraints = [
            models.CheckConstraint(condition=Q(high_factor__gt=1), name="read_policy_high_factor_above_one"),
            models.CheckConstraint(condition=Q(low_factor__gte=0) & Q(low_factor__lt=1),
                                   name="read_policy_low_factor_below_one"),
        ]

    def __str__(self) -> str:
        return f"Read policy from {self.effective_from}"


class ClassAverageUsage(models.Model):
    """Average daily usage of a customer class by calendar month: the last resort of
    estimation when an agreement has no history of its own."""

    service = models.CharField(max_length=16, choices=SERVICES)
    customer_class = models.CharField(max_length=20, choices=CUSTOMER_CLASSES)
    month = models.PositiveSmallIntegerField()
    daily_quantity = models.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        ordering = ["service", "customer_class", "month"]
        constraints = [
            models.UniqueConstraint(fields=["service", "customer_class", "month"], name="class_average_unique"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="class_average_month"),
        ]


class ReadImportFile(models.Model):
    """A route file or interval file, recorded once: its sha256 is unique so the same
    file imported twice is refused and changes nothing."""

    class Kind(models.TextChoices):
        ROUTE = "route", "Route file (register reads)"
        INTERVAL = "interval", "Interval data"
        BULK = "bulk", "Bulk load"

    sha256 = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    rows = models.PositiveIntegerField(default=0)
    reads_created = models.PositiveIntegerField(default=0)
    exceptions_created = models.PositiveIntegerField(default=0)
    duplicates_skipped = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.name


class RegisterRead(models.Model):
    class ReadType(models.TextChoices):
        ACTUAL = "actual", "Actual"
        ESTIMATED = "estimated", "Estimated"
        CUSTOMER = "customer", "Customer-supplied"
        FINAL = "final", "Final"
        METER_OUT = "meter_out", "Meter change — out"
        METER_IN = "meter_in", "Meter change — in"

    class Source(models.TextChoices):
        CONSOLE = "console", "Entered in the console"
        ROUTE_FILE = "route_file", "Route file"
        BULK = "bulk", "Bulk load"
        ESTIMATION = "estimation", "Estimated by ratepayer"
        CORRECTION = "correction", "Correction of an exception"

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        EXCEPTION = "exception", "Held in the exceptions queue"
        REJECTED = "rejected", "Rejected"

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="reads")
    service_point = models.ForeignKey(ServicePoint, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="reads", help_text="where the meter was installed on the read date")
    read_date = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=4, help_text="register reading as shown on the dials")
    demand_kw = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    consumption = models.DecimalField(max_digits=14, decimal_places=4, default=0,
                                      help_text="usage since the previous read, after multiplier and rollover")
    rolled_over = models.BooleanField(default=False)
    read_type = models.CharField(max_length=10, choices=ReadType.choices, default=ReadType.ACTUAL)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CONSOLE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    import_file = models.ForeignKey(ReadImportFile, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reads")
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="the read this one corrects or estimates in place of")
    estimate_basis = models.CharField(max_length=20, blank=True,
                                      help_text="same_season | recent_history | class_average")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    TRANSITIONS = {
        Status.VALID: set(),
        Status.EXCEPTION: {Status.VALID, Status.REJECTED},
        Status.REJECTED: set(),
    }

    class Meta:
        ordering = ["meter", "read_date", "id"]
        indexes = [models.Index(fields=["service_point", "read_date"]),
                   models.Index(fields=["meter", "read_date"])]
        constraints = [
            models.UniqueConstraint(fields=["meter", "read_date"], condition=Q(status="valid"),
                                    name="one_valid_read_per_meter_per_day"),
            models.CheckConstraint(condition=Q(value__gte=0), name="read_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.read_date} {self.value}"

    @property
    def is_estimated(self) -> bool:
        return self.read_type == self.ReadType.ESTIMATED


class ReadException(models.Model):
    """A read that failed validation, waiting for a specialist's decision."""

    class Reason(models.TextChoices):
        HIGH = "high_usage", "High usage"
        LOW = "low_usage", "Low usage"
        ZERO = "zero_usage", "Zero usage on an active service"
        NEGATIVE = "negative_usage", "Negative usage (not a plausible rollover)"
        OUT_OF_WINDOW = "out_of_window", "Read date out of window"
        NOT_INSTALLED = "meter_not_installed", "Meter not installed there"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Decision(models.TextChoices):
        ACCEPT = "accept", "Accept the read"
        REREAD = "reread", "Order a re-read"
        ESTIMATE = "estimate", "Estimate instead"
        CORRECT = "correct", "Correct the value"

    read = models.OneToOneField(RegisterRead, on_delete=models.PROTECT, related_name="exception")
    reasons = models.JSONField(help_text="list of reason codes")
    message = models.CharField(max_length=300)
    expected_consumption = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    resulting_read = models.ForeignKey(RegisterRead, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status="open", decision="") | Q(status="resolved") & ~Q(decision=""),
                                   name="read_exception_decided_when_resolved"),
        ]

    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [labels.get(code, code) for code in self.reasons]


class ReadOrder(models.Model):
    """A field order to read a meter again (from an exception's re-read decision).
    Completed by the next read of that meter."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="read_orders")
    service_point = models.ForeignKey(ServicePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField(auto_now_add=True)
    completed_by_read = models.ForeignKey(RegisterRead, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")

    class Meta:
        ordering = ["ordered_at", "id"]
        indexes = [models.Index(fields=["meter", "status"])]


class IntervalDay(models.Model):
    """One meter's intervals for one UTC day, packed (see the module docstring)."""

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="interval_days")
    day = models.DateField(help_text="UTC day")
    interval_seconds = models.PositiveIntegerField()
    wh = models.BinaryField(help_text="little-endian int32 Wh per interval slot; MISSING where not reported")
    import_file = models.ForeignKey(ReadImportFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["meter", "day"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "day"], name="one_interval_row_per_meter_day"),
            models.CheckConstraint(condition=Q(interval_seconds__gt=0) & Q(interval_seconds__lte=86400),
                                   name="interval_length_within_a_day"),
        ]


class PeriodUsage(models.Model):
    """Usage reported for a whole period (Green Button billing-period data)."""

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="period_usage")
    start = models.DateTimeField()
    seconds = models.PositiveIntegerField()
    quantity = models.DecimalField(max_digits=16, decimal_places=6)
    unit = models.CharField(max_length=12)
    cost = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)
    import_file = models.ForeignKey(ReadImportFile, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["meter", "start"]
        constraints = [models.UniqueConstraint(fields=["meter", "start", "unit"], name="one_period_usage_per_start")]
