"""Customer and account forms: they check the shape of input; the actions
(customers.actions) check the rules, so the API is held to the same ones."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ratepayer.rates.models import SERVICES, RateSchedule

from .models import (
    CUSTOMER_CLASSES,
    LANGUAGES,
    METER_SIZES,
    AccountNote,
    BillCycle,
    Contact,
    Customer,
    Meter,
    Premise,
    ServiceAgreement,
    ServicePoint,
)

DATE = forms.DateInput(attrs={"type": "date"})
BILL_DELIVERY = [("paper", "Paper bill by mail"), ("email", "E-bill by e-mail")]
READING = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class NoteForm(forms.Form):
    kind = forms.ChoiceField(choices=AccountNote._meta.get_field("kind").choices, initial="call", label="Type")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Note", max_length=4000)


class MailingAddressForm(forms.Form):
    mailing_line1 = forms.CharField(max_length=120, label="Street address",
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    mailing_line2 = forms.CharField(max_length=120, required=False, label="Apartment, suite, PO box",
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    mailing_city = forms.CharField(max_length=60, label="City")
    mailing_state = forms.CharField(max_length=2, label="State", initial="WA",
                                    widget=forms.TextInput(attrs={"size": 3}))
    mailing_zip = forms.CharField(max_length=10, label="ZIP code", widget=forms.TextInput(attrs={"size": 10}))


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(choices=LANGUAGES, label="Bill language")
    bill_delivery = forms.ChoiceField(choices=BILL_DELIVERY, widget=forms.RadioSelect, label="Bill delivery",
                                      help_text="E-bills go to the primary contact's e-mail address.")


class CustomerForm(forms.Form):
    """Correct the customer's name or kind; a tax ID or date of birth typed here replaces the one on file."""

    kind = forms.ChoiceField(choices=Customer.Kind.choices, widget=forms.RadioSelect, label="Customer is a")
    first_name = forms.CharField(max_length=80, required=False, label="First name")
    last_name = forms.CharField(max_length=80, required=False, label="Last name")
    name = forms.CharField(max_length=200, required=False, label="Organization name",
                           help_text="as printed on the bill; for a person, leave empty: first and last name are used")
    tax_id = forms.CharField(max_length=11, required=False, label="Tax ID (SSN or EIN)",
                             widget=forms.TextInput(attrs={"autocomplete": "off"}),
                             help_text="leave empty to keep the one on file")
    date_of_birth = forms.DateField(required=False, widget=DATE, label="Date of birth",
                                    help_text="leave empty to keep the one on file")


class NewCustomerForm(MailingAddressForm):
    kind = forms.ChoiceField(choices=Customer.Kind.choices, widget=forms.RadioSelect, initial=Customer.Kind.PERSON,
                             label="Customer is a")
    first_name = forms.CharField(max_length=80, required=False, label="First name")
    last_name = forms.CharField(max_length=80, required=False, label="Last name")
    name = forms.CharField(max_length=200, required=False, label="Organization name",
                           help_text="as printed on the bill; for a person, leave empty: first and last name are used")
    tax_id = forms.CharField(max_length=11, required=False, label="Tax ID (SSN or EIN)",
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    date_of_birth = forms.DateField(required=False, widget=DATE, label="Date of birth")
    phone = forms.CharField(max_length=32, required=False, label="Phone",
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.EmailField(required=False, label="E-mail")
    language = forms.ChoiceField(choices=LANGUAGES, label="Bill language")
    bill_delivery = forms.ChoiceField(choices=BILL_DELIVERY, widget=forms.RadioSelect, initial="paper",
                                      label="Bill delivery")
    opened_on = forms.DateField(widget=DATE, label="Account opens on")
    confirm_not_duplicate = forms.BooleanField(required=False, label="I checked the possible matches: this is a "
                                                                     "new customer")

    field_order = ["kind", "first_name", "last_name", "name", "tax_id", "date_of_birth", "phone", "email",
                   "mailing_line1", "mailing_line2", "mailing_city", "mailing_state", "mailing_zip", "language",
                   "bill_delivery", "opened_on", "confirm_not_duplicate"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opened_on"].initial = timezone.localdate()


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "role", "phone", "email", "prefers", "is_primary"]
        # the actions name fields by these labels ("E-mail: needed when …"), so an error sits under its field
        labels = {"is_primary": "Primary contact (e-bills and calls go here first)", "prefers": "Prefers",
                  "email": "E-mail", "name": "Name", "role": "Role", "phone": "Phone"}


class PremiseForm(forms.ModelForm):
    services = forms.MultipleChoiceField(choices=SERVICES, widget=forms.CheckboxSelectMultiple,
                                         label="Service points", help_text="one service point per service")

    class Meta:
        model = Premise
        fields = ["line1", "line2", "city", "state", "zip", "parcel_number", "premise_type", "dwelling_units"]
        labels = {"line1": "Street address", "line2": "Unit", "zip": "ZIP code", "parcel_number": "Parcel number"}


class ServicePointForm(forms.Form):
    service = forms.ChoiceField(choices=SERVICES, label="Service")
    label = forms.CharField(max_length=40, required=False, label="Label",
                            help_text="to tell two points of one service apart, e.g. Irrigation")


class MeterInstallForm(forms.Form):
    """One per service point on the premise page (prefixed sp<id>); the page
    posts the point's id unprefixed, as ``service_point``."""

    serial_number = forms.CharField(max_length=32, label="Meter number")
    kind = forms.ChoiceField(choices=Meter._meta.get_field("kind").choices, label="Meter type")
    unit = forms.ChoiceField(choices=Meter._meta.get_field("unit").choices, label="Unit")
    dial_count = forms.IntegerField(min_value=1, max_value=9, initial=5, label="Dials")
    multiplier = forms.CharField(max_length=12, initial="1", label="Multiplier", widget=READING)
    size = forms.ChoiceField(choices=[("", "—")] + METER_SIZES, required=False, label="Size (water)")
    installed_on = forms.DateField(widget=DATE, label="Installed on")
    first_read = forms.CharField(max_length=20, label="First read", widget=READING,
                                 help_text="the register when installed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["installed_on"].initial = timezone.localdate()


class StartServiceForm(forms.Form):
    service_point = forms.ModelChoiceField(queryset=ServicePoint.objects.none(), label="Service point",
                                           empty_label="— choose a service point —")
    rate_schedule = forms.ModelChoiceField(queryset=RateSchedule.objects.order_by("service", "code"), label="Rate",
                                           empty_label="— choose a rate —")
    customer_class = forms.ChoiceField(choices=CUSTOMER_CLASSES, label="Customer class")
    bill_cycle = forms.ModelChoiceField(queryset=BillCycle.objects.all(), label="Bill cycle", empty_label=None)
    start_date = forms.DateField(widget=DATE, label="Start date")
    move_in_read = forms.CharField(max_length=20, required=False, label="Move-in read", widget=READING,
                                   help_text="the meter's register on the start date; leave empty if not read")
    size_class = forms.ChoiceField(choices=[("", "—"), *ServiceAgreement.SizeClass.choices], required=False,
                                   label="Size class", help_text="for a rate whose base charge depends on it "
                                                                 "(Schedule 7)")

    def __init__(self, *args, service_points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_point"].queryset = service_points
        self.fields["service_point"].label_from_instance = lambda sp: (
            f"{sp.get_service_display()}{' ' + sp.label if sp.label else ''} — {sp.premise.address}")
        self.fields["rate_schedule"].label_from_instance = lambda r: f"{r.code} {r.name} ({r.get_service_display()})"
        self.fields["start_date"].initial = timezone.localdate()


class StopServiceForm(forms.Form):
    agreement = forms.ModelChoiceField(queryset=ServiceAgreement.objects.none(), label="Service", empty_label=None)
    end_date = forms.DateField(widget=DATE, label="Last day of service")
    final_read = forms.CharField(max_length=20, required=False, label="Final read", widget=READING,
                                 help_text="the meter's register on the last day; leave empty if not read")
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = (ServiceAgreement.objects.filter(account=account, status="active")
                                             .select_related("service_point__premise"))
        self.fields["agreement"].label_from_instance = lambda a: (
            f"{a.get_service_display()} — {a.service_point.premise.address} (since {a.start_date})")
        self.fields["end_date"].initial = timezone.localdate()


class TransferServiceForm(forms.Form):
    to_premise = forms.IntegerField(widget=forms.HiddenInput)
    move_date = forms.DateField(widget=DATE, label="Move-in date",
                                help_text="Service at the old address ends the day before.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_date"].initial = timezone.localdate()


class CloseAccountForm(forms.Form):
    """The last day of service and a final read for each metered service."""

    closed_on = forms.DateField(widget=DATE, label="Last day of service")
    note = forms.CharField(max_length=200, required=False, help_text="e.g. moved out of the service area")

    def __init__(self, *args, metered, **kwargs):
        """``metered``: (agreement, meter serial) of each active metered service."""
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()
        self.read_fields = []
        for agreement, serial in metered:
            name = f"read_{agreement.pk}"
            self.fields[name] = forms.CharField(
                max_length=20, label=f"Final read — {agreement.get_service_display()}, meter {serial}",
                widget=READING, help_text="the register on the last day of service",
                error_messages={"required": "Enter this meter's final read: final bills are not estimated."})
            self.read_fields.append((agreement, name))

    def final_reads(self) -> dict[int, str]:
        return {agreement.pk: self.cleaned_data[name] for agreement, name in self.read_fields}
