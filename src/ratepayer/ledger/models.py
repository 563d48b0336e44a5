"""The general ledger: chart of accounts, posting rules, journal, AR subledger.

See ledger.actions for the posting design."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.models import CUSTOMER_CLASSES, Account, ServiceAgreement
from ratepayer.rates.models import SERVICES
from ratepayer.staff.models import AppendOnlyModel


class GLAccount(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", "Asset"
        LIABILITY = "liability", "Liability"
        EQUITY = "equity", "Equity"
        REVENUE = "revenue", "Revenue"
        EXPENSE = "expense", "Expense"

    number = models.CharField(max_length=20, unique=True, help_text="FERC / NARUC account number, e.g. 142 or 461.1")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    system = models.CharField(max_length=8, choices=[("FERC", "FERC electric"), ("NARUC", "NARUC water/sewer"),
                                                     ("local", "Utility-defined")], default="FERC")
    is_receivable_control = models.BooleanField(default=False, help_text="lines here form the AR subledger")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "GL account"

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class PostingRule(models.Model):
    """event × service × customer class → debit and credit GL accounts.

    Blank service or class means "any"; the most specific rule wins."""

    event = models.CharField(max_length=40)
    service = models.CharField(max_length=16, choices=SERVICES, blank=True)
    customer_class = models.CharField(max_length=20, choices=CUSTOMER_CLASSES, blank=True)
    debit_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="+")
    credit_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["event", "service", "customer_class"]
        constraints = [models.UniqueConstraint(fields=["event", "service", "customer_class"], name="one_posting_rule")]

    def __str__(self) -> str:
        return f"{self.event}/{self.service or '*'}/{self.customer_class or '*'}: Dr {self.debit_account.number} Cr {self.credit_account.number}"


class JournalEntry(AppendOnlyModel):
    """One balanced money event. Never updated or deleted; corrected by a
    reversal that references it."""

    event = models.CharField(max_length=40)
    effective_date = models.DateField(db_index=True, help_text="GL date")
    posted_at = models.DateTimeField(auto_now_add=True)
    description = models.CharField(max_length=300)
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    idempotency_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001 (NULL: unique when set)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)

    class Meta:
        ordering = ["-effective_date", "-id"]
        # plain indexes and a UniqueConstraint, not db_index/unique fields: on
        # PostgreSQL those add a second (LIKE) index per column that nothing uses
        indexes = [models.Index(fields=["source_type", "source_id"]), models.Index(fields=["event"])]
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="journal_entry_idempotency_key")]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"JE{self.pk} {self.event} {self.effective_date}"


class JournalLine(AppendOnlyModel):
    # db_constraint=False: the keys are checked per statement (ratepayer.db.references, migration 0004)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines", db_constraint=False)
    gl_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="lines", db_constraint=False,
                                   db_index=False)
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="journal_lines",
                                db_constraint=False, db_index=False)
    agreement = models.ForeignKey(ServiceAgreement, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="journal_lines", db_constraint=False)
    memo = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["entry", "id"]
        indexes = [models.Index(fields=["account", "entry"]), models.Index(fields=["gl_account", "entry"])]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0) & Q(credit__gte=0), name="journal_line_not_negative"),
            models.CheckConstraint(condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                                   name="journal_line_one_side"),
            models.CheckConstraint(condition=Q(agreement__isnull=True) | Q(account__isnull=False),
                                   name="journal_line_agreement_has_account"),
        ]

    @property
    def amount(self):
        """Signed: debit positive, credit negative."""
        return self.debit - self.credit


class ARBalance(models.Model):
    """Cached receivable balance per service agreement (the AR subledger),
    updated in the same transaction as the journal lines and checked against
    them by `ratepayer ledger check`."""

    agreement = models.OneToOneField(ServiceAgreement, on_delete=models.PROTECT, related_name="ar_balance")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ar_balances")
    balance = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AR balance"


class ReceivableWatermark(models.Model):
    """How far back an account's open items can reach (ledger.openitems).

    Every receivable debit of the account in an entry before ``entry_id`` was
    paid when the mark was set, and the newest effective date among those
    debits is ``max_date_below``. Open items are read from ``entry_id`` on
    (an index range, not the account's whole history); a read that finds the
    mark no longer holds (a back-dated debit, a reversed payment) reads the
    account's whole history instead, so the answer is always exact."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="+",
                                   db_constraint=False)
    entry_id = models.BigIntegerField(default=0)
    max_date_below = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
