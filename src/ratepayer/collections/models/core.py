"""Collections backbone (helper "core"): the effective-dated collection policy,
notices, service orders, late fees, agency-referral candidates and the daily
job's disconnect decisions.

Rules of the data:
- A policy row is never edited: a change is a new row from a later date,
  made only when a second person approves it (``actions.policy``). What was
  charged under an older row keeps that row's key (``LateFee.policy``).
- The daily job's records are unique per account and delinquency (or per
  account and date), so running the same date twice adds nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.models import CUSTOMER_CLASSES, Account, ServiceAgreement, ServicePoint
from ratepayer.rates.models import SERVICES

UTILITY_TYPES = [("pud", "Public utility district (RCW 54)"), ("water_sewer", "Water-sewer district (RCW 57)")]
WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class CollectionPolicy(models.Model):
    """What the board sets for collections, per utility type, service and
    customer class (blank = any; the most specific row in force wins), from a
    date on. Validated against ``collections.statutes`` before it is saved."""

    class LateFeeKind(models.TextChoices):
        PERCENT = "percent", "Percent of the past-due amount"
        FLAT = "flat", "Flat amount"
        GREATER = "greater", "Percent or flat, whichever is more"

    utility_type = models.CharField(max_length=12, choices=UTILITY_TYPES)
    service = models.CharField(max_length=16, choices=SERVICES, blank=True)
    customer_class = models.CharField(max_length=20, choices=CUSTOMER_CLASSES, blank=True)
    effective_from = models.DateField()

    late_fee_kind = models.CharField(max_length=8, choices=LateFeeKind.choices, default=LateFeeKind.FLAT)
    late_fee_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"),
                                           help_text="% of the past-due amount of the bill")
    late_fee_flat = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("5.00"))
    late_fee_minimum_balance = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("10.00"),
                                                   help_text="no late fee when less than this is past due")
    late_fee_grace_days = models.PositiveSmallIntegerField(default=3, help_text="days after the due date")

    past_due_notice_day = models.PositiveSmallIntegerField(default=5, help_text="days after the due date")
    final_notice_day = models.PositiveSmallIntegerField(default=20, help_text="days after the due date")
    final_notice_wait_days = models.PositiveSmallIntegerField(
        default=8, help_text="a final notice allows disconnection from this many days after it is served …")
    final_notice_valid_days = models.PositiveSmallIntegerField(
        default=14, help_text="… for this many days; then a new notice is needed")

    disconnect_weekdays = models.CharField(max_length=7, default="0123",
                                           help_text="weekdays disconnection may happen, 0 = Monday (no Friday)")
    disconnect_hour_from = models.PositiveSmallIntegerField(default=8)
    disconnect_hour_to = models.PositiveSmallIntegerField(default=15)
    disconnect_minimum_balance = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("75.00"))
    reconnect_fee = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("50.00"))

    arrangement_max_installments = models.PositiveSmallIntegerField(default=6)
    arrangement_down_payment_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("25.00"))
    contract_max_months = models.PositiveSmallIntegerField(default=180)
    conservation_loan_max_months = models.PositiveSmallIntegerField(default=240)

    agency_referral_threshold = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("50.00"))
    agency_referral_days = models.PositiveSmallIntegerField(
        default=90, help_text="days past due before an account is a referral candidate")
    write_off_threshold = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("25.00"),
                                              help_text="balances at or under this are written off, not referred")
    lien_interest_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"),
                                                help_text="annual interest on certified liens (water-sewer)")
    prime_rate_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("7.50"),
                                             help_text="prime lending rate of the district's bank (the lien cap)")

    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approval = models.ForeignKey("staff.ApprovalRequest", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["utility_type", "service", "customer_class", "-effective_from"]
        verbose_name_plural = "collection policies"
        constraints = [
            models.UniqueConstraint(fields=["utility_type", "service", "customer_class", "effective_from"],
                                    name="one_collection_policy_per_scope_and_date"),
            models.CheckConstraint(condition=Q(final_notice_day__gt=models.F("past_due_notice_day")),
                                   name="final_notice_after_past_due_notice"),
            models.CheckConstraint(condition=Q(disconnect_hour_to__gt=models.F("disconnect_hour_from")),
                                   name="disconnect_hours_ordered"),
        ]

    def __str__(self) -> str:
        return (f"{self.get_utility_type_display()} {self.service or 'any service'} "
                f"{self.customer_class or 'any class'} from {self.effective_from}")

    @property
    def weekday_names(self) -> str:
        return ", ".join(WEEKDAY_NAMES[int(d)] for d in self.disconnect_weekdays)

    def late_fee_for(self, past_due: Decimal) -> Decimal:
        """The fee on ``past_due`` (0 under the minimum), rounded half-up to the cent."""
        if past_due < self.late_fee_minimum_balance or past_due <= 0:
            return Decimal("0.00")
        percent = (past_due * self.late_fee_percent / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        if self.late_fee_kind == self.LateFeeKind.PERCENT:
            return percent
        if self.late_fee_kind == self.LateFeeKind.FLAT:
            return self.late_fee_flat
        return max(percent, self.late_fee_flat)


class Notice(models.Model):
    """A collection notice: the record of what was (or is to be) served. Its
    document is rendered afterwards (collections.documents) and referenced."""

    class Kind(models.TextChoices):
        PAST_DUE = "past_due", "Past-due notice"
        FINAL = "final", "Final (disconnect) notice"
        DISCONNECT = "disconnect", "Disconnect-day notice"
        RECONNECT_RIGHTS = "reconnect_rights", "Reconnection rights"
        AGENCY_WARNING = "agency_warning", "Collection agency warning (RCW 19.16.500)"
        LIEN = "lien", "Lien notice"

    class Channel(models.TextChoices):
        MAIL = "mail", "Mail"
        EMAIL = "email", "E-mail"
        DELIVERED = "delivered", "Delivered in person"
        PHONE = "phone", "Phone"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="collection_notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    delinquency_due_on = models.DateField(help_text="due date of the oldest unpaid charge this notice is about")
    amount_past_due = models.DecimalField(max_digits=14, decimal_places=2)
    amount_total = models.DecimalField(max_digits=14, decimal_places=2, help_text="account balance when issued")
    pay_by = models.DateField(null=True, blank=True)
    served_on = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.MAIL)
    language = models.CharField(max_length=5, default="en")
    valid_from = models.DateField(null=True, blank=True, help_text="first day disconnection is allowed")
    valid_until = models.DateField(null=True, blank=True, help_text="last day this notice allows disconnection")
    landlord_copy = models.BooleanField(default=False, help_text="a copy went to the registered landlord")
    document_ref = models.CharField(max_length=200, blank=True, help_text="rendered document (set by the workers)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-served_on", "-id"]
        indexes = [models.Index(fields=["account", "kind", "served_on"])]
        constraints = [models.UniqueConstraint(fields=["account", "kind", "delinquency_due_on"],
                                               name="one_notice_per_kind_and_delinquency")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.served_on} for {self.account_id}"

    def valid_on(self, day) -> bool:
        return self.valid_from is not None and self.valid_from <= day <= (self.valid_until or day)


class ServiceOrder(models.Model):
    """Field work at a service point. Disconnect and reconnect today; other
    kinds are added by widening ``Kind``."""

    class Kind(models.TextChoices):
        DISCONNECT = "disconnect", "Disconnect for nonpayment"
        RECONNECT = "reconnect", "Reconnect"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class FieldResult(models.TextChoices):
        DONE = "done", "Done"
        PAID_AT_PREMISE = "paid_at_premise", "Customer paid at the premises — not disconnected"
        NO_ACCESS = "no_access", "No access"
        UNSAFE = "unsafe", "Unsafe — not done"

    TRANSITIONS = {
        "requested": {"scheduled", "completed", "cancelled"},
        "scheduled": {"completed", "cancelled", "requested"},
        "completed": set(),
        "cancelled": set(),
    }
    OPEN = ("requested", "scheduled")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="service_orders")
    agreement = models.ForeignKey(ServiceAgreement, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="service_orders")
    service_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="service_orders")
    requested_on = models.DateField()
    scheduled_for = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    field_result = models.CharField(max_length=16, choices=FieldResult.choices, blank=True)
    field_notes = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    fee_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", help_text="reconnect fee posted with this order")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_on", "-id"]
        indexes = [models.Index(fields=["status", "kind", "scheduled_for"])]
        constraints = [
            models.UniqueConstraint(fields=["service_point", "kind"], condition=Q(status__in=["requested", "scheduled"]),
                                    name="one_open_order_per_point_and_kind"),
            models.CheckConstraint(condition=Q(status="completed", completed_on__isnull=False)
                                   | ~Q(status="completed"), name="completed_order_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} order #{self.pk}"


class ServiceOrderEvent(models.Model):
    """One step of an order's life: created, scheduled, completed, cancelled."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "at", "id"]


class LateFee(models.Model):
    """One late fee on one past-due bill of one service: the posted entry and
    the policy row it was charged under (a later policy never rewrites it)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="late_fees")
    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="late_fees")
    charge_due_on = models.DateField(help_text="due date of the past-due charges")
    assessed_on = models.DateField()
    past_due = models.DecimalField(max_digits=14, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    policy = models.ForeignKey(CollectionPolicy, on_delete=models.PROTECT, related_name="late_fees")
    journal_entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "charge_due_on"], name="one_late_fee_per_due_date"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="late_fee_positive"),
        ]


class AgencyReferral(models.Model):
    """An account the daily job found ready for a collection agency: past due
    long enough, over the threshold, and warned at least 30 days before
    (RCW 19.16.500). The agency file and write-offs work from these."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        REFERRED = "referred", "Referred"
        WITHDRAWN = "withdrawn", "Withdrawn"

    TRANSITIONS = {"candidate": {"referred", "withdrawn"}, "referred": set(), "withdrawn": set()}

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="agency_referrals")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    balance = models.DecimalField(max_digits=14, decimal_places=2)
    delinquency_due_on = models.DateField()
    warning = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="+",
                                help_text="the agency-warning notice served at least 30 days before")
    found_on = models.DateField()

    class Meta:
        ordering = ["-found_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "delinquency_due_on"],
                                               name="one_referral_per_delinquency")]


class DisconnectDecisionRecord(models.Model):
    """The gating verdict the daily job (or a clerk) got for an account on a
    date, with every input, so it can be explained and reported (heat-alert
    days: RCW 54.16.285(8))."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="disconnect_decisions")
    decided_on = models.DateField()
    allowed = models.BooleanField()
    deciding_rule = models.CharField(max_length=60)
    decision = models.JSONField(help_text="DisconnectDecision.as_dict()")
    facts = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "decided_on"], name="one_decision_per_account_day")]
