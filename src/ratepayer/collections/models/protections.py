"""What protects a customer from disconnection, recorded so a clerk can explain every decision
(DOMAIN §A.2, A.3, A.6.3): National Weather Service heat-alert days per zone and the premise's
zone, medical certificates, billing disputes, winter-protection requests (RCW 54.16.285) and
registered landlords of water-sewer tenants (RCW 57.08.081(7)).

These are inputs only. ``collections.facts`` turns them (for many accounts at once) into the
plain facts that ``collections.disconnect_rules.decide_disconnect`` judges; nothing here decides.
Workflows are in ``collections.actions.protections``; every change there writes an audit row.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q

from ratepayer.customers.models import Account, Premise

# NWS public forecast zones (WAZ039) and, for alerts issued by county, county codes (WAC033).
NWS_ZONE = re.compile(r"^[A-Z]{2}[ZC]\d{3}$")


class HeatAlertKind(models.TextChoices):
    EXCESSIVE_HEAT_WARNING = "excessive_heat_warning", "Excessive heat warning"
    EXCESSIVE_HEAT_WATCH = "excessive_heat_watch", "Excessive heat watch"
    HEAT_ADVISORY = "heat_advisory", "Heat advisory"
    EXTREME_HEAT_WARNING = "extreme_heat_warning", "Extreme heat warning"
    EXTREME_HEAT_WATCH = "extreme_heat_watch", "Extreme heat watch"
    OTHER = "other", "Other heat-related alert"


class HeatAlert(models.Model):
    """One NWS heat-related alert for one zone on one day — issued or announced (RCW 54.16.285(5),
    57.08.081(8)): no residential electric or water disconnection there that day. Withdrawn rather
    than deleted when entered in error, so an earlier decision can still be explained."""

    class Source(models.TextChoices):
        ENTERED = "entered", "Entered by staff"
        IMPORTED = "imported", "Imported from a file"

    class Status(models.TextChoices):
        ACTIVE = "active", "In effect"
        WITHDRAWN = "withdrawn", "Withdrawn (entered in error)"

    TRANSITIONS = {"active": {"withdrawn"}, "withdrawn": set()}

    zone = models.CharField(max_length=6, help_text="NWS zone, e.g. WAZ039 (or county code WAC033)")
    day = models.DateField()
    kind = models.CharField(max_length=24, choices=HeatAlertKind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=8, choices=Source.choices)
    import_file = models.ForeignKey("HeatAlertImport", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="alerts")
    note = models.CharField(max_length=200, blank=True, help_text="e.g. the NWS product or where it was read")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-day", "zone", "kind"]
        indexes = [models.Index(fields=["zone", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["zone", "day", "kind"], condition=Q(status="active"),
                                    name="one_active_heat_alert_per_zone_day_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.zone} {self.day}"


class HeatAlertImport(models.Model):
    """One imported alerts file; the same file (by SHA-256) is imported once."""

    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0, help_text="alerts added (the rest were already recorded)")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.file_name


class PremiseZone(models.Model):
    """The NWS zone a premise lies in (collections-side; customers knows nothing of alerts)."""

    premise = models.OneToOneField(Premise, on_delete=models.PROTECT, related_name="nws_zone")
    zone = models.CharField(max_length=6)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.premise_id}: {self.zone}"


class MedicalCertificate(models.Model):
    """A medical emergency hold (WAC 480-100-128 practice): on verbal or written notice
    disconnection is postponed for 5 business days, within which a written certificate from a
    qualified medical professional is due; to keep the protection the customer pays 10 % of the
    delinquent balance and agrees to pay the rest within 120 days. Effective for a term
    (commonly 60 days)."""

    class Status(models.TextChoices):
        AWAITING_WRITTEN = "awaiting_written", "Notified, written certificate due"
        CERTIFIED = "certified", "Certified"
        CLOSED = "closed", "Closed"

    class Notice(models.TextChoices):
        VERBAL = "verbal", "Verbal"
        WRITTEN = "written", "Written"

    class CertifierTitle(models.TextChoices):
        PHYSICIAN = "physician", "Licensed physician"
        NURSE_PRACTITIONER = "nurse_practitioner", "Nurse practitioner"
        PHYSICIAN_ASSISTANT = "physician_assistant", "Physician assistant"

    TRANSITIONS = {"awaiting_written": {"certified", "closed"}, "certified": {"closed"}, "closed": set()}

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="medical_certificates")
    premise = models.ForeignKey(Premise, on_delete=models.PROTECT, related_name="+",
                                help_text="the residence where the person with the condition lives")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING_WRITTEN)
    notified_on = models.DateField(help_text="the day the utility was told of the emergency")
    notice = models.CharField(max_length=8, choices=Notice.choices)
    written_due_on = models.DateField(help_text="5 business days after the notice")
    written_received_on = models.DateField(null=True, blank=True)
    certifier_title = models.CharField(max_length=20, choices=CertifierTitle.choices, blank=True)
    certifier_name = models.CharField(max_length=120, blank=True)
    certifier_phone = models.CharField(max_length=32, blank=True)
    effective_from = models.DateField()
    expires_on = models.DateField()
    delinquent_balance = models.DecimalField(max_digits=14, decimal_places=2,
                                             help_text="the delinquent balance when the notice came")
    required_payment = models.DecimalField(max_digits=14, decimal_places=2,
                                           help_text="10 % of the delinquent balance, rounded up to the cent")
    payment_due_on = models.DateField(help_text="the end of the grace period (same as written_due_on)")
    remainder_agreed = models.BooleanField(default=False,
                                           help_text="agreed to pay the remainder within 120 days")
    remainder_due_on = models.DateField(help_text="120 days after the notice")
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-notified_on", "-id"]
        indexes = [models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return f"Medical certificate #{self.pk}"


class Dispute(models.Model):
    """A billing dispute: while open it holds disconnection for the account."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    TRANSITIONS = {"open": {"closed"}, "closed": set()}

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="disputes")
    bill = models.ForeignKey("billing.Bill", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="the bill disputed (blank: the account's charges in general)")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    reason = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                 help_text="the amount disputed, when the customer names one")
    closed_on = models.DateField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["account", "status"]), models.Index(fields=["bill", "status"])]

    def __str__(self) -> str:
        return f"Dispute #{self.pk}"


class WinterProtection(models.Model):
    """A winter-protection request under RCW 54.16.285(1): residential space heating is not
    terminated Nov 15 – Mar 15 when the customer notified the utility, the grantee's 7 %-of-income
    figure is on file (eligibility documented), heating assistance was applied for (and
    weatherization where available) and a payment plan is agreed and kept. A request made late is
    recorded all the same: it protects from the day it is complete."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class CloseReason(models.TextChoices):
        PAID = "paid", "Past-due balance paid"
        DEFAULTED = "defaulted", "Plan not kept (paid less than the ceiling)"
        MOVED = "moved", "Moved out of the service area"
        WITHDRAWN = "withdrawn", "Withdrawn by the customer"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    TRANSITIONS = {"open": {"closed"}, "closed": set()}

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="winter_protections")
    premise = models.ForeignKey(Premise, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    season_start = models.DateField(help_text="Nov 15 of the winter this request is for")
    notified_on = models.DateField(help_text="the day the customer said they could not pay")
    grantee = models.CharField(max_length=120, blank=True, help_text="the Commerce grantee (LIHEAP agency)")
    annual_income_figure = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                               help_text="the grantee's dollar figure: 7 % of annual household income")
    eligibility_documented_on = models.DateField(null=True, blank=True)
    heating_assistance_applied = models.BooleanField(default=False)
    weatherization_applied = models.BooleanField(default=False)
    weatherization_unavailable = models.BooleanField(default=False,
                                                     help_text="no weatherization program is available")
    plan_agreed_on = models.DateField(null=True, blank=True)
    arrears_at_application = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-season_start", "-id"]
        indexes = [models.Index(fields=["account", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["account", "season_start"], condition=Q(status="open"),
                                    name="one_open_winter_protection_per_account_season"),
        ]

    def __str__(self) -> str:
        return f"Winter protection #{self.pk}"


class RegisteredLandlord(models.Model):
    """An owner who asked in writing to be told of a tenant's delinquency (RCW 57.08.081(7)):
    the district copies every delinquency notice to this address, or it has no lien for the
    tenant's charges."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Registered"
        ENDED = "ended", "Registration ended"

    TRANSITIONS = {"active": {"ended"}, "ended": set()}

    premise = models.ForeignKey(Premise, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    owner_name = models.CharField(max_length=200)
    request_received_on = models.DateField(help_text="the day the owner's written request arrived")
    mailing_line1 = models.CharField(max_length=120)
    mailing_line2 = models.CharField(max_length=120, blank=True)
    mailing_city = models.CharField(max_length=60)
    mailing_state = models.CharField(max_length=2, default="WA")
    mailing_zip = models.CharField(max_length=10)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-request_received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["premise"], condition=Q(status="active"),
                                    name="one_registered_landlord_per_premise"),
        ]

    def __str__(self) -> str:
        return f"Registered landlord {self.owner_name}"

    @property
    def mailing_address(self) -> str:
        line = self.mailing_line1 + (f" {self.mailing_line2}" if self.mailing_line2 else "")
        return f"{line}, {self.mailing_city}, {self.mailing_state} {self.mailing_zip}"
