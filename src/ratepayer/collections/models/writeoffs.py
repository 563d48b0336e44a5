"""Closed accounts that still owe: balance transfers, collection agencies
(RCW 19.16.500), write-offs (Dr 144 / Cr 142) and recoveries (Cr 144), and
water-sewer district liens (RCW 57.08.081(3)).

Imported into ``collections.models``; the workflows are in
``collections.actions.writeoffs`` and ``collections.queries.writeoffs``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.models import Account, Premise, ServiceAgreement
from ratepayer.ledger.models import JournalEntry

# RCW 19.16.500(1)(b): what the statute calls a reasonable fee per account.
STATUTE_AGENCY = "RCW 19.16.500"
AGENCY_NOTICE_DAYS = 30
FEE_RATE_FIRST = Decimal("50.00")     # percent of the first $100,000
FEE_RATE_ABOVE = Decimal("35.00")     # percent above $100,000
FEE_BREAK = Decimal("100000.00")
MINIMUM_FEE_CAP = Decimal("100.00")   # "a minimum fee of the full amount of the debt up to one hundred dollars"
# RCW 57.08.081(3): lien interest at not more than the prime rate of the district's bank plus four points a year.
STATUTE_LIEN = "RCW 57.08.081(3)"
LIEN_INTEREST_MARGIN = Decimal("4.00")


class WriteOff(models.Model):
    """A closed account's uncollectible balance taken off the receivable:
    Dr 144 (allowance) / Cr 142 per service agreement. Within the maker's
    ``write_off`` limit it posts at once; above it waits for another person's
    approval (staff.approvals)."""

    class Reason(models.TextChoices):
        UNCOLLECTIBLE = "uncollectible", "Uncollectible after collection efforts"
        AGENCY_RETURNED = "agency_returned", "Returned by the collection agency"
        SMALL_BALANCE = "small_balance", "Small balance, not worth collecting"
        BANKRUPTCY = "bankruptcy", "Discharged in bankruptcy"
        DECEASED = "deceased", "Customer deceased, no estate"
        TIME_BARRED = "time_barred", "Past the statute of limitations"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        POSTED = "posted", "Written off"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Withdrawn"

    TRANSITIONS = {
        "pending": {"posted", "rejected", "cancelled"},
        "posted": set(),
        "rejected": set(),
        "cancelled": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="write_offs")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    memo = models.CharField(max_length=300)
    effective_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    approval_request_id = models.BigIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    journal_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="write_off")
    recovered = models.DecimalField(max_digits=14, decimal_places=2, default=0,
                                    help_text="sum of later payments credited back to the allowance (Cr 144)")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_amount_positive"),
            models.CheckConstraint(condition=Q(recovered__gte=0) & Q(recovered__lte=models.F("amount")),
                                   name="write_off_recovered_within_amount"),
            models.CheckConstraint(condition=~Q(status="posted") | Q(journal_entry__isnull=False),
                                   name="posted_write_off_has_entry"),
            models.UniqueConstraint(fields=["account"], condition=Q(status="pending"),
                                    name="one_pending_write_off_per_account"),
        ]

    def __str__(self) -> str:
        return f"Write-off #{self.pk}"


class WriteOffLine(models.Model):
    """The write-off's split by service agreement (each agreement's balance)."""

    write_off = models.ForeignKey(WriteOff, on_delete=models.CASCADE, related_name="lines")
    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["write_off", "agreement"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_line_amount_positive"),
            models.UniqueConstraint(fields=["write_off", "agreement"], name="one_write_off_line_per_agreement"),
        ]


class Recovery(models.Model):
    """Money received on a written-off account after the write-off: the
    receivable is reinstated from the allowance (Dr 142 / Cr 144) so the
    payment, applied as usual (Dr cash / Cr 142), nets to Dr cash / Cr 144."""

    write_off = models.ForeignKey(WriteOff, on_delete=models.PROTECT, related_name="recoveries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    received_on = models.DateField()
    payment_id = models.BigIntegerField(null=True, blank=True, help_text="payments.Payment that brought the money")
    remittance = models.ForeignKey("AgencyRemittance", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="recoveries")
    journal_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    reversal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", help_text="set when the payment came back (returned)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name_plural = "recoveries"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive")]


class BalanceTransfer(models.Model):
    """A closed account's balance moved to the same customer's other active
    account (Dr 142 on the receiving agreement / Cr 142 on the closed one)."""

    from_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balance_transfers_out")
    to_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balance_transfers_in")
    to_agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    transferred_on = models.DateField()
    reason = models.CharField(max_length=300)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="balance_transfer")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-transferred_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="balance_transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(from_account=models.F("to_account")),
                                   name="balance_transfer_between_two_accounts"),
        ]


class CollectionAgency(models.Model):
    """A licensed collection agency under contract, with its contingent fee
    (validated against RCW 19.16.500's reasonable-fee limits)."""

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=120)
    license_number = models.CharField(max_length=40, blank=True, help_text="Washington collection agency license")
    contact = models.CharField(max_length=200, blank=True)
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2,
                                      help_text="contingent fee, percent of what is collected (≤ 50 % to $100,000)")
    fee_percent_above = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("35.00"),
                                            help_text="percent on collections above $100,000 per account (≤ 35 %)")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "collection agencies"
        constraints = [
            models.CheckConstraint(condition=Q(fee_percent__gte=0) & Q(fee_percent__lte=FEE_RATE_FIRST),
                                   name="agency_fee_within_rcw_19_16_500"),
            models.CheckConstraint(condition=Q(fee_percent_above__gte=0) & Q(fee_percent_above__lte=FEE_RATE_ABOVE),
                                   name="agency_fee_above_within_rcw_19_16_500"),
        ]

    def __str__(self) -> str:
        return self.name


class AgencyFile(models.Model):
    """One referral file sent to an agency (layout in formats/agency_referral.py)."""

    agency = models.ForeignKey(CollectionAgency, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=120)
    created_on = models.DateField()
    item_count = models.PositiveIntegerField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    sha256 = models.CharField(max_length=64, unique=True)
    content = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class AgencyAssignment(models.Model):
    """A closed account's debt assigned to an agency, no sooner than 30 days
    after the debtor was advised that it may be (RCW 19.16.500(1)(a))."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", "At the agency"
        PAID = "paid", "Paid in full"
        RECALLED = "recalled", "Recalled"
        RETURNED = "returned", "Returned uncollectible"

    TRANSITIONS = {
        "assigned": {"paid", "recalled", "returned"},
        "paid": set(),
        "recalled": set(),
        "returned": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="agency_assignments")
    agency = models.ForeignKey(CollectionAgency, on_delete=models.PROTECT, related_name="assignments")
    amount_assigned = models.DecimalField(max_digits=14, decimal_places=2)
    advised_on = models.DateField(help_text="the date the debtor was advised the debt may be assigned")
    assigned_on = models.DateField()
    fee_limit = models.DecimalField(max_digits=14, decimal_places=2,
                                    help_text="the most the agency may be paid on this account (RCW 19.16.500)")
    collected = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    fees = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=300, blank=True)
    file = models.ForeignKey(AgencyFile, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assigned_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_assigned__gt=0), name="agency_assignment_amount_positive"),
            models.CheckConstraint(condition=Q(fees__lte=models.F("fee_limit")), name="agency_fees_within_limit"),
            models.UniqueConstraint(fields=["account"], condition=Q(status="assigned"),
                                    name="one_open_agency_assignment_per_account"),
        ]

    def __str__(self) -> str:
        return f"Agency assignment #{self.pk}"


class AgencyRemittance(models.Model):
    """Money an agency collected and sent: gross credited to the debt, the fee
    (Dr 903) kept by the agency, the net received (Dr cash clearing)."""

    assignment = models.ForeignKey(AgencyAssignment, on_delete=models.PROTECT, related_name="remittances")
    reference = models.CharField(max_length=60, help_text="the agency's remittance reference")
    received_on = models.DateField()
    gross = models.DecimalField(max_digits=14, decimal_places=2)
    fee = models.DecimalField(max_digits=14, decimal_places=2)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    journal_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "reference"], name="one_remittance_per_reference"),
            models.CheckConstraint(condition=Q(gross__gt=0) & Q(fee__gte=0) & Q(net=models.F("gross") - models.F("fee")),
                                   name="remittance_net_is_gross_less_fee"),
        ]


class LienCertification(models.Model):
    """Delinquent water-sewer charges certified to the county auditor as a lien
    on the property served (RCW 57.08.081(3)), with interest at no more than
    the district's bank's prime rate plus four points a year."""

    class Status(models.TextChoices):
        CERTIFIED = "certified", "Certified"
        RELEASED = "released", "Released"

    TRANSITIONS = {"certified": {"released"}, "released": set()}

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="liens")
    premise = models.ForeignKey(Premise, on_delete=models.PROTECT, related_name="liens")
    parcel_number = models.CharField(max_length=20)
    tenant_delinquency = models.BooleanField(default=False,
                                             help_text="the delinquent customer is a tenant, not the owner")
    charges = models.DecimalField(max_digits=14, decimal_places=2)
    penalties = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    delinquent_since = models.DateField()
    prime_rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="the district bank's prime rate, %/yr")
    interest_rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="%/yr, ≤ prime + 4")
    interest = models.DecimalField(max_digits=14, decimal_places=2, default=0,
                                   help_text="simple interest from delinquency to certification")
    certified_on = models.DateField()
    auditor_reference = models.CharField(max_length=40, blank=True, help_text="county auditor's recording number")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CERTIFIED)
    released_on = models.DateField(null=True, blank=True)
    release_reason = models.CharField(max_length=300, blank=True)
    interest_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-certified_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(charges__gt=0) & Q(penalties__gte=0) & Q(interest__gte=0),
                                   name="lien_amounts_not_negative"),
            models.CheckConstraint(condition=Q(interest_rate__lte=models.F("prime_rate") + LIEN_INTEREST_MARGIN),
                                   name="lien_interest_within_prime_plus_four"),
            models.UniqueConstraint(fields=["premise", "account"], condition=Q(status="certified"),
                                    name="one_certified_lien_per_premise_account"),
        ]

    def __str__(self) -> str:
        return f"Lien #{self.pk}"

    @property
    def total(self) -> Decimal:
        return self.charges + self.penalties + self.interest
