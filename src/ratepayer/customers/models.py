"""Customers, accounts, premises, service points, meters and service agreements.

History is never rewritten: starting, stopping and transferring service end
and create agreements (customers.actions); meters are installed and removed
with dated rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.rates.models import SERVICES, RateSchedule

from .fields import EncryptedTextField, TaxIdDigestField

LANGUAGES = [("en", "English"), ("es", "Spanish"), ("ru", "Russian")]

CUSTOMER_CLASSES = [
    ("residential", "Residential"),
    ("commercial", "Commercial"),
    ("industrial", "Industrial"),
    ("public_authority", "Public authority"),
]


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANIZATION = "organization", "Organization"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200, help_text="as printed on the bill: 'Jane Doe' or 'Acme Foods Inc.'")
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    tax_id = EncryptedTextField(blank=True, help_text="SSN or EIN, encrypted at rest")
    tax_id_digest = TaxIdDigestField(help_text="keyed hash of the tax ID's digits: finds duplicates, reveals nothing")
    date_of_birth = EncryptedTextField(blank=True, help_text="YYYY-MM-DD, encrypted at rest")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A way to reach a customer; organizations have several named people."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=80, blank=True, help_text="e.g. Facilities manager, Accounts payable")
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    is_primary = models.BooleanField(default=False)
    prefers = models.CharField(
        max_length=8, choices=[("phone", "Phone"), ("email", "E-mail"), ("mail", "Mail")], default="mail"
    )

    class Meta:
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.name or self.phone or self.email


class BillCycle(models.Model):
    """A group of accounts read and billed together (schedules live in billing)."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=60)
    read_day = models.PositiveSmallIntegerField(help_text="typical day of month the route is read")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"Cycle {self.code}"


class Account(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    number = models.CharField(max_length=12, unique=True, help_text="account number with its check digit")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    mailing_line1 = models.CharField(max_length=120)
    mailing_line2 = models.CharField(max_length=120, blank=True)
    mailing_city = models.CharField(max_length=60)
    mailing_state = models.CharField(max_length=2, default="WA")
    mailing_zip = models.CharField(max_length=10)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    is_key_account = models.BooleanField(default=False)
    key_account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="key_accounts"
    )
    paperless = models.BooleanField(default=False, help_text="e-bill instead of paper")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="account_closed_after_opened",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def mailing_address(self) -> str:
        parts = [self.mailing_line1, self.mailing_line2, f"{self.mailing_city}, {self.mailing_state} {self.mailing_zip}"]
        return ", ".join(p for p in parts if p)


class AccountNote(models.Model):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(
        max_length=12,
        choices=[("note", "Note"), ("call", "Phone call"), ("visit", "Counter visit"), ("email", "E-mail"),
                 ("letter", "Letter")],
        default="note",
    )
    text = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Premise(models.Model):
    """A service address (and parcel) where service points are."""

    line1 = models.CharField(max_length=120)
    line2 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=60)
    state = models.CharField(max_length=2, default="WA")
    zip = models.CharField(max_length=10)
    parcel_number = models.CharField(max_length=20, blank=True, db_index=True)
    premise_type = models.CharField(
        max_length=20,
        choices=[("single_family", "Single family"), ("multi_family", "Multi-family"), ("commercial", "Commercial"),
                 ("industrial", "Industrial"), ("public", "Public"), ("mobile_home", "Mobile home")],
        default="single_family",
    )
    dwelling_units = models.PositiveSmallIntegerField(default=1)
    space_heat_electric = models.BooleanField(default=False, help_text="residential electric space heat (winter protection)")

    class Meta:
        ordering = ["city", "line1", "id"]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        line = self.line1 + (f" {self.line2}" if self.line2 else "")
        return f"{line}, {self.city}"


class ServicePoint(models.Model):
    premise = models.ForeignKey(Premise, on_delete=models.PROTECT, related_name="service_points")
    service = models.CharField(max_length=16, choices=SERVICES)
    label = models.CharField(max_length=40, blank=True, help_text="e.g. 'Main', 'Irrigation'")

    class Meta:
        ordering = ["premise", "service", "id"]

    def __str__(self) -> str:
        return f"{self.get_service_display()} at {self.premise}"


METER_SIZES = [("5/8", '5/8"'), ("3/4", '3/4"'), ("1", '1"'), ("1.5", '1-1/2"'), ("2", '2"'), ("3", '3"'),
               ("4", '4"'), ("6", '6"')]


class Meter(models.Model):
    serial_number = models.CharField(max_length=32, unique=True)
    service = models.CharField(max_length=16, choices=SERVICES)
    kind = models.CharField(max_length=10, choices=[("register", "Register"), ("interval", "Interval (AMI)")],
                            default="register")
    unit = models.CharField(max_length=8, choices=[("kWh", "kWh"), ("CCF", "CCF"), ("kgal", "1,000 gal")],
                            default="kWh")
    dial_count = models.PositiveSmallIntegerField(default=5)
    multiplier = models.DecimalField(max_digits=10, decimal_places=4, default=1)
    size = models.CharField(max_length=4, choices=METER_SIZES, blank=True, help_text="water meter size")
    has_demand_register = models.BooleanField(default=False)
    manufacturer = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["serial_number"]
        constraints = [models.CheckConstraint(condition=Q(multiplier__gt=0), name="meter_multiplier_positive")]

    def __str__(self) -> str:
        return self.serial_number


class MeterInstallation(models.Model):
    """A meter at a service point for a span of dates (history is kept)."""

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="installations")
    service_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="installations")
    installed_on = models.DateField()
    removed_on = models.DateField(null=True, blank=True)
    install_read = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    removal_read = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["service_point", "installed_on"]
        constraints = [
            models.UniqueConstraint(fields=["service_point"], condition=Q(removed_on__isnull=True),
                                    name="one_meter_installed_per_service_point"),
            models.UniqueConstraint(fields=["meter"], condition=Q(removed_on__isnull=True),
                                    name="meter_installed_in_one_place"),
            models.CheckConstraint(condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("installed_on")),
                                   name="meter_removed_after_installed"),
        ]


class ServiceAgreement(models.Model):
    """An account's service at a service point for a span of dates, with the
    facts about the service its tariff may bill on (dwelling units, connected
    load, size class); the meter's size comes from the meter installed."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    class SizeClass(models.TextChoices):
        """Snohomish PUD Schedule 7's base-charge classes (the tariff's
        ``amounts_by: size_class`` keys)."""

        SMALL = "small", "Small (multi-family, small services)"
        MEDIUM = "medium", "Medium (single-family)"
        LARGE = "large", "Large"
        EXTRA_LARGE = "extra_large", "Extra-large"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="agreements")
    service_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="agreements")
    service = models.CharField(max_length=16, choices=SERVICES)
    rate_schedule = models.ForeignKey(RateSchedule, on_delete=models.PROTECT, related_name="agreements")
    customer_class = models.CharField(max_length=20, choices=CUSTOMER_CLASSES)
    bill_cycle = models.ForeignKey(BillCycle, on_delete=models.PROTECT, related_name="agreements")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    dwelling_units = models.PositiveSmallIntegerField(default=1)
    connected_load_kw = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    size_class = models.CharField(max_length=12, choices=SizeClass.choices, blank=True,
                                  help_text="the service's size class, for a tariff whose base charge depends on it")
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="the agreement this one continues (transfer of service)")

    class Meta:
        ordering = ["account", "service", "start_date"]
        indexes = [models.Index(fields=["bill_cycle", "status"]), models.Index(fields=["service_point", "start_date"])]
        constraints = [
            models.UniqueConstraint(fields=["service_point"], condition=Q(status="active"),
                                    name="one_active_agreement_per_service_point"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="agreement_ends_after_start"),
            models.CheckConstraint(condition=Q(status="ended", end_date__isnull=False) | Q(status="active"),
                                   name="ended_agreement_has_end_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} #{self.pk}"


class AgreementEvent(models.Model):
    """start / stop / transfer events: the history of an agreement's status."""

    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=[("start", "Start"), ("stop", "Stop"), ("transfer_out", "Moved out"),
                                                     ("transfer_in", "Moved in")])
    effective_date = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["effective_date", "id"]


class SearchEntry(models.Model):
    """Denormalized search terms for the console's global search box.

    One row per (account, term): account number, name words, address words,
    phone digits, e-mail, meter serial. Terms are normalized (lowercase,
    punctuation stripped) so a prefix range scan on one index answers every
    kind of search fast on SQLite and PostgreSQL alike.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)  # number | name | address | phone | email | meter
    term = models.CharField(max_length=120)

    class Meta:
        # (term, kind, account): prefix range scans and exact number/meter
        # lookups read the index alone; (account, term): the per-word join of
        # multi-word queries is one index seek per candidate account.
        indexes = [models.Index(fields=["term", "kind", "account"], name="search_term_kind_idx"),
                   models.Index(fields=["account", "term"], name="search_account_term_idx")]
