"""Payment arrangements and long-term contracts (imported by collections.models).

A payment arrangement spreads a past-due balance over a few installments while the
current bills stay due; it has no GL entry of its own (DOMAIN §B.2: the schedule is a
sub-ledger record) — payments keep landing on the receivable and are matched to the
installments (collections.actions.arrangements). A broken arrangement no longer
protects from disconnection. A long-term contract is a separate, interest-bearing
receivable (GL 143, kept out of service aging): its installments are billed on the
regular bill through billing's hook, and it belongs to the property, not the person
(DOMAIN §A.4).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.billing.models import Bill
from ratepayer.customers.models import Account, Premise
from ratepayer.ledger.models import JournalEntry


class PaymentArrangement(models.Model):
    """An agreement to pay a past-due amount in installments while current bills stay due.

    ``winter`` plans (RCW 54.16.285(1)(e)) and ``heat`` plans (RCW 54.16.285(7)) carry
    the income ceiling: the customer is not in default while each month's payments
    reach ``required_ceiling`` even if the agreed installment was higher."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", "Ordinary arrangement"
        WINTER = "winter", "Winter protection plan (RCW 54.16.285)"
        HEAT = "heat", "Heat-alert repayment plan (RCW 54.16.285(7))"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        KEPT = "kept", "Kept (paid in full)"
        BROKEN = "broken", "Broken"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        "proposed": {"active", "cancelled"},
        "active": {"kept", "broken", "cancelled"},
        "kept": set(),
        "broken": set(),
        "cancelled": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payment_arrangements")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ORDINARY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    past_due_amount = models.DecimalField(max_digits=14, decimal_places=2,
                                          help_text="the past-due balance the installments cover")
    down_payment = models.DecimalField(max_digits=14, decimal_places=2, default=0,
                                       help_text="paid before the arrangement starts (policy)")
    current_bills_due = models.BooleanField(default=True, help_text="current bills stay due as they are issued")
    start_date = models.DateField(help_text="the day it was made: payments from this day count toward it")
    broken_after_days = models.PositiveSmallIntegerField(
        default=10, help_text="an installment unpaid this many days after its due date breaks the arrangement")
    monthly_income = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                         help_text="winter/heat plans: the household's monthly income")
    required_ceiling = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        help_text="winter/heat plans: the most a month may require; paying this much is not a default")
    pay_off_by = models.DateField(null=True, blank=True, help_text="winter: Oct 15; heat: May 15")
    allows_another = models.BooleanField(default=False,
                                         help_text="a supervisor allowed it beside another active arrangement")
    allowed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    missed_due_date = models.DateField(null=True, blank=True,
                                       help_text="broken: the due date of the installment that was missed")

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["account", "status"]), models.Index(fields=["status", "start_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(past_due_amount__gt=0), name="arrangement_amount_positive"),
            models.CheckConstraint(condition=Q(down_payment__gte=0), name="arrangement_down_payment_not_negative"),
            models.CheckConstraint(condition=~Q(allows_another=True) | Q(allowed_by__isnull=False),
                                   name="arrangement_second_allowed_by_someone"),
        ]

    def __str__(self) -> str:
        return f"Arrangement #{self.pk} ({self.account_id})"


class ArrangementInstallment(models.Model):
    arrangement = models.ForeignKey(PaymentArrangement, on_delete=models.PROTECT, related_name="installments")
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0,
                                      help_text="payments applied to this installment (from the ledger)")
    paid_on = models.DateField(null=True, blank=True, help_text="the day it was paid in full")

    class Meta:
        ordering = ["arrangement", "sequence"]
        indexes = [models.Index(fields=["due_date"])]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "sequence"], name="one_installment_per_sequence"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="arrangement_installment_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="arrangement_paid_not_negative"),
        ]


class ArrangementEvent(models.Model):
    """The arrangement's status history (one row per change; the audit row is written beside it)."""

    arrangement = models.ForeignKey(PaymentArrangement, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    effective_date = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["arrangement", "id"]


class LongTermContract(models.Model):
    """An amortized, interest-bearing receivable on a property (DOMAIN §A.4).

    Kept on GL 143 (other accounts receivable), apart from the service receivable
    (142), so it never enters service aging or disconnect logic; each month's
    installment is billed on the regular bill (principal Dr 142 / Cr 143, interest
    Dr 142 / Cr 419). It follows the premise: a new owner's account takes it over."""

    class Kind(models.TextChoices):
        PAST_DUE = "past_due", "Past-due balance (long term)"
        SEWER_CONNECTION = "sewer_connection", "Sewer connection charge (RCW 57.08.005(11))"
        CONSERVATION_LOAN = "conservation_loan", "Conservation loan (RCW 54.16.280)"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAID_OFF = "paid_off", "Paid off"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {"active": {"paid_off", "cancelled"}, "paid_off": set(), "cancelled": set()}

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="long_term_contracts",
                                help_text="the account billed now (changes when the property changes hands)")
    premise = models.ForeignKey(Premise, on_delete=models.PROTECT, related_name="long_term_contracts")
    principal = models.DecimalField(max_digits=14, decimal_places=2)
    annual_rate = models.DecimalField(max_digits=7, decimal_places=4, help_text="percent per year, e.g. 5.2500")
    term_months = models.PositiveSmallIntegerField()
    start_date = models.DateField(help_text="the first installment's due date; the rest fall on the same day monthly")
    monthly_payment = models.DecimalField(max_digits=14, decimal_places=2, help_text="the level payment")
    lien_reference = models.CharField(max_length=60, blank=True,
                                      help_text="county auditor's recording number (RCW 65.08.170)")
    lien_recorded_on = models.DateField(null=True, blank=True)
    receivable_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", help_text="the entry that booked the receivable")
    revision = models.PositiveSmallIntegerField(default=1, help_text="raised when a prepayment redraws the schedule")
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["account", "status"]), models.Index(fields=["premise", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="contract_principal_positive"),
            models.CheckConstraint(condition=Q(annual_rate__gte=0), name="contract_rate_not_negative"),
            models.CheckConstraint(condition=Q(term_months__gt=0), name="contract_term_positive"),
            models.CheckConstraint(condition=~Q(kind="sewer_connection") | Q(term_months__lte=180),
                                   name="sewer_connection_contract_at_most_180_months"),
            models.CheckConstraint(condition=~Q(kind="conservation_loan") | Q(term_months__lte=240),
                                   name="conservation_loan_at_most_240_months"),
        ]

    def __str__(self) -> str:
        return f"Contract #{self.pk} ({self.get_kind_display()})"


class ContractInstallment(models.Model):
    """One scheduled month of a contract. A prepayment redraws the unbilled rest of
    the schedule under the contract's next ``revision``; rows of older revisions
    that were never billed are kept, marked ``replaced``."""

    contract = models.ForeignKey(LongTermContract, on_delete=models.PROTECT, related_name="installments")
    revision = models.PositiveSmallIntegerField(default=1)
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    payment = models.DecimalField(max_digits=14, decimal_places=2)
    principal = models.DecimalField(max_digits=14, decimal_places=2)
    interest = models.DecimalField(max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(max_digits=14, decimal_places=2)
    replaced = models.BooleanField(default=False)
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="the bill it was billed on")
    billed_on = models.DateField(null=True, blank=True)
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "revision", "number"]
        indexes = [models.Index(fields=["due_date", "billed_on"])]
        constraints = [
            models.UniqueConstraint(fields=["contract", "revision", "number"], name="one_contract_installment"),
            models.CheckConstraint(condition=Q(principal__gte=0) & Q(interest__gte=0) & Q(payment__gte=0),
                                   name="contract_installment_not_negative"),
        ]


class ContractEvent(models.Model):
    """The contract's history: created, prepaid, transferred, paid off, cancelled."""

    contract = models.ForeignKey(LongTermContract, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20)
    effective_date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "id"]
