"""Payments and cash (DESIGN §8).

Tender → Payment (applied to agreements: PaymentApplication) → PaymentBatch (a
drawer session, a lockbox file, an ACH settlement) → Deposit → BankLine (BAI2).

Financial rows are never edited: a payment that was wrong is reversed (its
journal entry mirrored) and, for a misapplied payment, re-posted on the right
account with a link to the one it replaces. External references (file hash,
lockbox item, ACH trace, card processor reference, bank reference) carry unique
constraints so a repeated import cannot post twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.fields import EncryptedTextField, mask
from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.ledger.models import JournalEntry

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")
# RCW 62A.3-515: the holder of a dishonored check may collect a handling fee of at most $40.
RETURNED_PAYMENT_FEE_CEILING = Decimal("40.00")
# DOMAIN checklist 6: these return codes cancel autopay enrollment.
AUTOPAY_STOPPING_RETURN_CODES = frozenset({"R02", "R03", "R04", "R05", "R07", "R10", "R20", "R29"})


class PaymentPolicy(models.Model):
    """Board-set payment rules, effective-dated (the latest row in force wins)."""

    class Order(models.TextChoices):
        OLDEST_FIRST = "oldest_first", "Oldest charges first"
        SERVICE_PRIORITY = "service_priority", "By service priority, oldest first within a service"

    class ClosedAccount(models.TextChoices):
        APPLY = "apply", "Apply to the closed account (credit balance is refunded)"
        SUSPENSE = "suspense", "Hold in suspense for research"

    effective_from = models.DateField()
    application_order = models.CharField(max_length=20, choices=Order.choices, default=Order.OLDEST_FIRST)
    service_priority = models.CharField(max_length=100, default="electric,water,sewer,stormwater,refuse",
                                        help_text="comma-separated services, highest priority first")
    closed_account_handling = models.CharField(max_length=10, choices=ClosedAccount.choices,
                                               default=ClosedAccount.APPLY)
    drawer_variance_limit = models.DecimalField(**MONEY, default=Decimal("5.00"),
                                                help_text="over/short beyond this needs a supervisor's approval")
    returned_payment_fee = models.DecimalField(**MONEY, default=Decimal("25.00"))
    deposit_within_business_days = models.PositiveSmallIntegerField(default=1, help_text="RCW 43.09.240: 24 hours")
    refund_dormancy_days = models.PositiveSmallIntegerField(default=365, help_text="uncashed refund check → unclaimed")
    deposit_good_payment_months = models.PositiveSmallIntegerField(
        default=12, help_text="a security deposit is refunded after this many months of good payment")
    deposit_late_payments_allowed = models.PositiveSmallIntegerField(
        default=0, help_text="late payments (late fees, returned payments) tolerated in the good-payment period")
    represent_automatically = models.BooleanField(
        default=False, help_text="queue R01/R09 ACH returns for re-presentment without a specialist")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name_plural = "payment policies"
        constraints = [
            models.CheckConstraint(condition=Q(returned_payment_fee__gte=0) & Q(returned_payment_fee__lte=40),
                                   name="returned_fee_within_rcw_62a_3_515"),
            models.CheckConstraint(condition=Q(drawer_variance_limit__gte=0), name="variance_limit_not_negative"),
        ]

    @property
    def priority_list(self) -> list[str]:
        return [s.strip() for s in self.service_priority.split(",") if s.strip()]


class ImportedFile(models.Model):
    """Every file read from a bank or processor, and every file we send. The
    sha256 is unique: the same file twice is refused."""

    class Kind(models.TextChoices):
        LOCKBOX = "lockbox", "Lockbox"
        ACH_RETURNS = "ach_returns", "ACH returns / NOC"
        BANK_STATEMENT = "bank", "Bank statement (BAI2)"
        ACH_ORIGINATION = "ach_out", "ACH debit file (sent)"
        PHONE = "phone", "Pay-by-phone settlement"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    item_count = models.PositiveIntegerField(default=0)
    total = models.DecimalField(**MONEY, default=ZERO)
    summary = models.JSONField(default=dict)
    content = models.TextField(blank=True, help_text="generated files only (ACH debit files)")

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class Deposit(models.Model):
    """Money that goes to the bank as one line on the statement: a counter
    deposit slip, a lockbox deposit, an ACH settlement, a card settlement."""

    class Kind(models.TextChoices):
        COUNTER = "counter", "Counter deposit (cash and checks)"
        CARD = "card", "Card settlement"
        LOCKBOX = "lockbox", "Lockbox deposit"
        ACH = "ach", "ACH settlement"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    business_date = models.DateField(db_index=True)
    amount = models.DecimalField(**MONEY)
    cash_amount = models.DecimalField(**MONEY, default=ZERO)
    check_amount = models.DecimalField(**MONEY, default=ZERO)
    item_count = models.PositiveIntegerField(default=0)
    slip_number = models.CharField(max_length=20, unique=True)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="deposit")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-business_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="deposit_amount_not_negative")]

    def __str__(self) -> str:
        return f"Deposit {self.slip_number}"


class PaymentBatch(models.Model):
    class Kind(models.TextChoices):
        DRAWER = "drawer", "Cash drawer session"
        LOCKBOX = "lockbox", "Lockbox"
        ACH = "ach", "ACH autopay settlement"
        SUSPENSE = "suspense", "Suspense applications"
        TRANSFER = "transfer", "Payment transfers"
        PHONE = "phone", "Pay-by-phone (card processor)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    business_date = models.DateField(db_index=True)
    source_file = models.ForeignKey(ImportedFile, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="batches")
    reference = models.CharField(max_length=60, blank=True, help_text="lockbox number + deposit date, ACH file")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-business_date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.business_date} #{self.pk}"


class DrawerSession(models.Model):
    """One clerk's cash drawer for one business day."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        VARIANCE_PENDING = "variance_pending", "Over/short waits for approval"
        CLOSED = "closed", "Closed and balanced"
        DEPOSITED = "deposited", "Deposited"

    TRANSITIONS = {
        "open": {"closed", "variance_pending"},
        "variance_pending": {"closed", "open"},
        "closed": {"deposited"},
        "deposited": set(),
    }

    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drawer_sessions")
    batch = models.OneToOneField(PaymentBatch, on_delete=models.PROTECT, related_name="drawer_session")
    business_date = models.DateField()
    opening_float = models.DecimalField(**MONEY, default=ZERO)
    status = models.CharField(max_length=18, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    count = models.JSONField(default=dict, blank=True, help_text="denomination → quantity, and check list")
    counted_cash = models.DecimalField(**MONEY, null=True, blank=True)
    counted_checks = models.DecimalField(**MONEY, null=True, blank=True)
    expected_cash = models.DecimalField(**MONEY, null=True, blank=True)
    expected_checks = models.DecimalField(**MONEY, null=True, blank=True)
    variance = models.DecimalField(**MONEY, null=True, blank=True, help_text="counted − expected; + over, − short")
    variance_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    approval_request_id = models.BigIntegerField(null=True, blank=True)
    deposit = models.ForeignKey(Deposit, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")

    class Meta:
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clerk"], condition=Q(status="open"), name="one_open_drawer_per_clerk"),
        ]

    def __str__(self) -> str:
        return f"Drawer {self.pk} ({self.clerk}, {self.business_date})"


class Payment(models.Model):
    class Tender(models.TextChoices):
        CASH = "cash", "Cash"
        CHECK = "check", "Check"
        CARD = "card", "Card"
        MONEY_ORDER = "money_order", "Money order"
        LOCKBOX = "lockbox", "Lockbox check"
        ACH = "ach", "ACH autopay"
        SUSPENSE = "suspense", "Applied from suspense"

    class Status(models.TextChoices):
        POSTED = "posted", "Posted"
        REVERSED = "reversed", "Reversed"

    # db_constraint=False: checked per statement (ratepayer.db.references, migration 0006); db_index=False
    # where a composite index below starts with the column
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments", db_constraint=False,
                                db_index=False)
    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments", db_constraint=False,
                              db_index=False)
    tender = models.CharField(max_length=12, choices=Tender.choices)
    amount = models.DecimalField(**MONEY)
    received_on = models.DateField(db_index=True)
    tendered = models.DecimalField(**MONEY, null=True, blank=True, help_text="cash handed over")
    change_given = models.DecimalField(**MONEY, default=ZERO)
    check_number = models.CharField(max_length=20, blank=True)
    check_routing = models.CharField(max_length=9, blank=True)
    payer_name = models.CharField(max_length=120, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    external_reference = models.CharField(max_length=120, null=True, blank=True,  # noqa: DJ001 (unique when set)
                                          help_text="lockbox item, ACH trace, card processor reference (unique)")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.POSTED)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payment",
                                         db_constraint=False)
    reversal_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="reversed_payment")
    reversal_reason = models.CharField(max_length=200, blank=True)
    transferred_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="transferred_to")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["account", "received_on"]), models.Index(fields=["batch", "tender"])]
        constraints = [
            # a constraint, not unique=True: on PostgreSQL that adds a LIKE index nothing uses
            models.UniqueConstraint(fields=["external_reference"], name="payment_external_reference_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=~Q(tender="card") | Q(card_last4__regex=r"^[0-9]{4}$"),
                                   name="card_payment_keeps_last_four_only"),
            models.CheckConstraint(condition=~Q(status="reversed") | Q(reversal_entry__isnull=False),
                                   name="reversed_payment_has_reversal"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.receipt_number} {self.amount}"

    @property
    def receipt_number(self) -> str:
        return f"R{self.pk:08d}" if self.pk else ""


class PaymentApplication(models.Model):
    """What a payment paid: one row per agreement. A reversal re-ages exactly these."""

    # checked per statement (ratepayer.db.references); the unique constraint's index serves ``payment``
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="applications", db_constraint=False,
                                db_index=False)
    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="payment_applications",
                                  db_constraint=False)
    amount = models.DecimalField(**MONEY)
    oldest_charge_on = models.DateField(null=True, blank=True, help_text="oldest open charge this paid toward")

    class Meta:
        ordering = ["payment", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive"),
            models.UniqueConstraint(fields=["payment", "agreement"], name="one_application_per_agreement"),
        ]


class SuspenseItem(models.Model):
    """Money received that could not be applied (unreadable stub, unknown or
    closed account). Held as unapplied cash (a liability) until researched."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for research"
        APPLIED = "applied", "Applied to an account"

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="suspense_items")
    amount = models.DecimalField(**MONEY)
    received_on = models.DateField()
    reason = models.CharField(max_length=200)
    external_reference = models.CharField(max_length=120, unique=True)
    stub_account = models.CharField(max_length=20, blank=True)
    scan_line = models.CharField(max_length=80, blank=True)
    check_number = models.CharField(max_length=20, blank=True)
    payer_name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="suspense_item")
    applied_payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="from_suspense")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="suspense_amount_positive")]


class AutopayEnrollment(models.Model):
    class Status(models.TextChoices):
        PRENOTE = "prenote", "Prenote sent, waiting"
        ACTIVE = "active", "Active"
        STOPPED = "stopped", "Stopped"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="autopay_enrollments")
    holder_name = models.CharField(max_length=22)
    routing_number = models.CharField(max_length=9)
    bank_account_number = EncryptedTextField()
    bank_account_last4 = models.CharField(max_length=4)
    account_type = models.CharField(max_length=8, choices=[("checking", "Checking"), ("savings", "Savings")])
    draft_day = models.PositiveSmallIntegerField(help_text="day of month the debit is drafted (the bill's due day)")
    start_date = models.DateField()
    authorized_on = models.DateField()
    authorization = models.CharField(max_length=300, help_text="how and where the customer authorized (PPD)")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    prenote_entry = models.CharField(max_length=15, blank=True, help_text="trace of the prenote")
    live_from = models.DateField(null=True, blank=True, help_text="first date live debits may be sent")
    stopped_on = models.DateField(null=True, blank=True)
    stopped_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=~Q(status="stopped"),
                                    name="one_live_autopay_per_account"),
            models.CheckConstraint(condition=Q(draft_day__gte=1) & Q(draft_day__lte=28), name="draft_day_1_to_28"),
        ]

    @property
    def masked_account(self) -> str:
        return mask("0" * 4 + self.bank_account_last4)[-8:]


class AchEntry(models.Model):
    """One debit we originated; matched back by trace number. Its payment,
    once settled, is the Payment whose external reference is ``ach:<trace>``.
    A re-presentment of a returned debit is a new entry with ``retry_of`` the
    first debit of the chain."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent, waiting for settlement"
        SETTLED = "settled", "Settled (payment posted)"
        RETURNED = "returned", "Returned"

    file = models.ForeignKey(ImportedFile, on_delete=models.PROTECT, related_name="ach_entries")
    enrollment = models.ForeignKey(AutopayEnrollment, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    trace_number = models.CharField(max_length=15, unique=True)
    is_prenote = models.BooleanField(default=False)
    due_on = models.DateField()
    settlement_date = models.DateField(db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENT)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="retries",
                                 help_text="the original debit this entry re-presents (RETRY PYMT)")

    class Meta:
        ordering = ["-settlement_date", "trace_number"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "due_on"],
                                    condition=Q(is_prenote=False) & Q(retry_of__isnull=True),
                                    name="one_autopay_debit_per_due_date"),
        ]

    @property
    def payment_reference(self) -> str:
        return f"ach:{self.trace_number}"


class ReturnedPayment(models.Model):
    """A payment that came back (ACH return, returned check on the statement)."""

    class Status(models.TextChoices):
        PROCESSED = "processed", "Reversed, fee charged"
        UNMATCHED = "unmatched", "Not matched to a payment — research"

    source = models.CharField(max_length=8, choices=[("ach", "ACH return"), ("bank", "Bank returned item"),
                                                     ("manual", "Entered by staff")])
    external_reference = models.CharField(max_length=120, unique=True)
    return_code = models.CharField(max_length=4, blank=True)
    amount = models.DecimalField(**MONEY)
    received_on = models.DateField()
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="returned")
    fee_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file = models.ForeignKey(ImportedFile, null=True, blank=True, on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=10, choices=Status.choices)
    autopay_stopped = models.BooleanField(default=False)
    customer_notified = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]


class AutopayChange(models.Model):
    """A notification of change (C-code) applied to an enrollment, with what changed."""

    enrollment = models.ForeignKey(AutopayEnrollment, on_delete=models.PROTECT, related_name="changes")
    file = models.ForeignKey(ImportedFile, on_delete=models.PROTECT, related_name="+")
    change_code = models.CharField(max_length=3)
    trace_number = models.CharField(max_length=15)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "trace_number"], name="one_noc_per_trace_per_file")]


class BankLine(models.Model):
    """A detail (16) line of a bank statement and what it was matched to."""

    class Status(models.TextChoices):
        MATCHED = "matched", "Matched"
        RETURNED_ITEM = "returned_item", "Sent to returned payments"
        EXCEPTION = "exception", "Exception — not matched"
        IGNORED = "ignored", "Not a receipt (fees, disbursements)"

    file = models.ForeignKey(ImportedFile, on_delete=models.PROTECT, related_name="bank_lines")
    line = models.PositiveIntegerField()
    bank_account = models.CharField(max_length=40)
    as_of = models.DateField()
    type_code = models.CharField(max_length=3)
    kind = models.CharField(max_length=24)
    amount = models.DecimalField(**MONEY)
    bank_reference = models.CharField(max_length=120, unique=True)
    customer_reference = models.CharField(max_length=120, blank=True)
    text = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices)
    deposit = models.OneToOneField(Deposit, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line")
    resolved_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["file", "line"]


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ISSUED = "issued", "Issued"
        CLEARED = "cleared", "Check cashed / ACH credit settled"
        UNCLAIMED = "unclaimed", "Uncashed — moved to unclaimed property"
        REJECTED = "rejected", "Rejected"

    TRANSITIONS = {
        "pending": {"issued", "rejected"},
        "issued": {"cleared", "unclaimed"},
        "cleared": set(),
        "unclaimed": set(),
        "rejected": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="refunds")
    agreement = models.ForeignKey(ServiceAgreement, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="refunds", help_text="the agreement whose credit balance is refunded")
    security_deposit = models.ForeignKey("SecurityDeposit", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="refunds", help_text="a security deposit refunded")
    method = models.CharField(max_length=5, choices=[("check", "Check"), ("ach", "ACH credit")])
    amount = models.DecimalField(**MONEY)
    payee = models.CharField(max_length=120)
    payee_address = models.CharField(max_length=300)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices)
    check_number = models.CharField(max_length=20, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    approval_request_id = models.BigIntegerField(null=True, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    payable_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    cleared_on = models.DateField(null=True, blank=True)
    cleared_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    unclaimed_on = models.DateField(null=True, blank=True)
    unclaimed_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=~Q(status="issued") | Q(payable_entry__isnull=False),
                                   name="issued_refund_has_entry"),
            models.CheckConstraint(condition=Q(agreement__isnull=False) | Q(security_deposit__isnull=False),
                                   name="refund_of_a_credit_or_a_deposit"),
        ]

    @property
    def property_type(self) -> str:
        """NAUPA property type code for the unclaimed property report."""
        return UNCLAIMED_PROPERTY_TYPES["deposit" if self.security_deposit_id else "refund"][0]


# NAUPA standard property type codes used by Washington DOR's holder report.
UNCLAIMED_PROPERTY_TYPES = {
    "deposit": ("UT01", "Utility deposits"),
    "refund": ("UT03", "Utility refunds or rebates"),
}
# NACHA: an R01/R09 return may be re-presented at most twice, within 180 days of settlement.
REPRESENTABLE_RETURN_CODES = frozenset({"R01", "R09"})
REPRESENTMENT_LIMIT = 2
REPRESENTMENT_WINDOW_DAYS = 180


class DepositInterestRate(models.Model):
    """Interest paid on security deposits, effective-dated (WAC 480-100-113
    pattern: each calendar year's rate is the one-year Treasury constant
    maturity of November 15 of the year before)."""

    effective_from = models.DateField(unique=True)
    annual_rate = models.DecimalField(max_digits=6, decimal_places=4, help_text="percent a year, e.g. 4.3200")
    source = models.CharField(max_length=200, blank=True, help_text="e.g. H.15 1-year CMT, 2024-11-15")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [models.CheckConstraint(condition=Q(annual_rate__gte=0) & Q(annual_rate__lt=100),
                                              name="deposit_interest_rate_percent")]


class SecurityDeposit(models.Model):
    """A security deposit the utility requires of an account and holds (GL
    235) until it is applied to the final bill or refunded. What it holds is
    the sum of its entries (receipts + interest − applied − refunded)."""

    class Status(models.TextChoices):
        REQUIRED = "required", "Required, not yet paid in full"
        HELD = "held", "Held"
        RELEASING = "releasing", "Released, refund waits for approval"
        RELEASED = "released", "Applied / refunded"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="security_deposits")
    amount_required = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=300)
    required_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUIRED)
    received = models.DecimalField(**MONEY, default=ZERO, help_text="receipts so far")
    interest = models.DecimalField(**MONEY, default=ZERO, help_text="interest accrued so far")
    paid_out = models.DecimalField(**MONEY, default=ZERO, help_text="applied to bills and refunded")
    interest_through = models.DateField(null=True, blank=True)
    fully_paid_on = models.DateField(null=True, blank=True)
    released_on = models.DateField(null=True, blank=True)
    release_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-required_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_required__gt=0), name="deposit_required_positive"),
            models.CheckConstraint(condition=Q(received__gte=0) & Q(interest__gte=0) & Q(paid_out__gte=0),
                                   name="deposit_sums_not_negative"),
            models.UniqueConstraint(fields=["account"], condition=~Q(status="released"),
                                    name="one_open_security_deposit_per_account"),
        ]

    def __str__(self) -> str:
        return f"Security deposit {self.pk} ({self.account_id})"

    @property
    def held(self) -> Decimal:
        return self.received + self.interest - self.paid_out

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount_required - self.received, ZERO)


class SecurityDepositEntry(models.Model):
    """The deposit sub-ledger: each movement and its journal entry."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Received"
        INTEREST = "interest", "Interest"
        APPLIED = "applied", "Applied to balance owing"
        REFUNDED = "refunded", "Refunded"

    deposit = models.ForeignKey(SecurityDeposit, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    on = models.DateField()
    tender = models.CharField(max_length=12, blank=True, choices=Payment.Tender.choices)
    batch = models.ForeignKey(PaymentBatch, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="deposit_receipts", help_text="the drawer or file it came in")
    external_reference = models.CharField(max_length=120, null=True, blank=True, unique=True)
    refund = models.OneToOneField(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_entry_positive")]


class Representment(models.Model):
    """A returned ACH debit (R01/R09) queued to be sent again (NACHA: at most
    twice, within 180 days of the original settlement, entry description
    RETRY PYMT). The next origination file carries it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued for the next ACH file"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    returned = models.OneToOneField(ReturnedPayment, on_delete=models.PROTECT, related_name="representment")
    original = models.ForeignKey(AchEntry, on_delete=models.PROTECT, related_name="representments",
                                 help_text="the first debit of the chain")
    attempt = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    entry = models.OneToOneField(AchEntry, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="representment")
    automatic = models.BooleanField(default=False)
    queued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    queued_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(attempt__gte=1) & Q(attempt__lte=REPRESENTMENT_LIMIT),
                                   name="at_most_two_representments"),
            models.UniqueConstraint(fields=["original", "attempt"], name="one_representment_per_attempt"),
        ]
