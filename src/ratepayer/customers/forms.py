"""Customer and account forms: they check the shape of input; the actions
(customers.actions) check the rules, so the API is held to the same ones."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ratepayer.rates.models import SERVICES, RateSchedule

from .models import (
    CUSTOMER_CLASSES,
    METER_SIZES,
    AccountNote,
    BillCycle,
    Contact,
    Customer,
    Meter,
    Premise,
    ServiceAgreement,
    ServicePoint,
    language_choices,
)

DATE = forms.DateInput(attrs={"type": "date"})
BILL_DELIVERY = [("paper", "Paper bill by mail"), ("email", "E-bill by e-mail")]
READING = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class NoteForm(forms.Form):
    kind = forms.ChoiceField(choices=AccountNote._meta.get_field("kind").choices, initial="call", label=_("Type"))
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Note"), max_length=4000)


class MailingAddressForm(forms.Form):
    mailing_line1 = forms.CharField(max_length=120, label=_("Street address"),
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    mailing_line2 = forms.CharField(max_length=120, required=False, label=_("Apartment, suite, PO box"),
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    mailing_city = forms.CharField(max_length=60, label=_("City"))
    mailing_state = forms.CharField(max_length=2, label=_("State"), initial="WA",
                                    widget=forms.TextInput(attrs={"size": 3}))
    mailing_zip = forms.CharField(max_length=10, label=_("ZIP code"), widget=forms.TextInput(attrs={"size": 10}))


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(choices=language_choices, label=_("Bill language"))
    bill_delivery = forms.ChoiceField(choices=BILL_DELIVERY, widget=forms.RadioSelect, label=_("Bill delivery"),
                                      help_text=_("E-bills go to the primary contact's e-mail address."))


class CustomerForm(forms.Form):
    """Correct the customer's name or kind; a tax ID or date of birth typed here replaces the one on file."""

    kind = forms.ChoiceField(choices=Customer.Kind.choices, widget=forms.RadioSelect, label=_("Customer is a"))
    first_name = forms.CharField(max_length=80, required=False, label=_("First name"))
    last_name = forms.CharField(max_length=80, required=False, label=_("Last name"))
    name = forms.CharField(max_length=200, required=False, label=_("Organization name"),
                           help_text=_("as printed on the bill; for a person, leave empty: first and last name are used"))
    tax_id = forms.CharField(max_length=11, required=False, label=_("Tax ID (SSN or EIN)"),
                             widget=forms.TextInput(attrs={"autocomplete": "off"}),
                             help_text=_("leave empty to keep the one on file"))
    date_of_birth = forms.DateField(required=False, widget=DATE, label=_("Date of birth"),
                                    help_text=_("leave empty to keep the one on file"))


class NewCustomerForm(MailingAddressForm):
    kind = forms.ChoiceField(choices=Customer.Kind.choices, widget=forms.RadioSelect, initial=Customer.Kind.PERSON,
                             label=_("Customer is a"))
    first_name = forms.CharField(max_length=80, required=False, label=_("First name"))
    last_name = forms.CharField(max_length=80, required=False, label=_("Last name"))
    name = forms.CharField(max_length=200, required=False, label=_("Organization name"),
                           help_text=_("as printed on the bill; for a person, leave empty: first and last name are used"))
    tax_id = forms.CharField(max_length=11, required=False, label=_("Tax ID (SSN or EIN)"),
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    date_of_birth = forms.DateField(required=False, widget=DATE, label=_("Date of birth"))
    phone = forms.CharField(max_length=32, required=False, label=_("Phone"),
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.EmailField(required=False, label=_("E-mail"))
    language = forms.ChoiceField(choices=language_choices, label=_("Bill language"))
    bill_delivery = forms.ChoiceField(choices=BILL_DELIVERY, widget=forms.RadioSelect, initial="paper",
                                      label=_("Bill delivery"))
    opened_on = forms.DateField(widget=DATE, label=_("Account opens on"))
    confirm_not_duplicate = forms.BooleanField(required=False, label=_("I checked the possible matches: this is a "
                                                                     "new customer"))

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
                                         label=_("Service points"), help_text=_("one service point per service"))

    class Meta:
        model = Premise
        fields = ["line1", "line2", "city", "state", "zip", "parcel_number", "premise_type", "dwelling_units"]
        labels = {"line1": "Street address", "line2": "Unit", "zip": "ZIP code", "parcel_number": "Parcel number"}


class ServicePointForm(forms.Form):
    service = forms.ChoiceField(choices=SERVICES, label=_("Service"))
    label = forms.CharField(max_length=40, required=False, label=_("Label"),
                            help_text=_("to tell two points of one service apart, e.g. Irrigation"))


class MeterInstallForm(forms.Form):
    """One per service point on the premise page (prefixed sp<id>); the page
    posts the point's id unprefixed, as ``service_point``."""

    serial_number = forms.CharField(max_length=32, label=_("Meter number"))
    kind = forms.ChoiceField(choices=Meter._meta.get_field("kind").choices, label=_("Meter type"))
    unit = forms.ChoiceField(choices=Meter._meta.get_field("unit").choices, label=_("Unit"))
    dial_count = forms.IntegerField(min_value=1, max_value=9, initial=5, label=_("Dials"))
    multiplier = forms.CharField(max_length=12, initial="1", label=_("Multiplier"), widget=READING)
    size = forms.ChoiceField(choices=[("", "—")] + METER_SIZES, required=False, label=_("Size (water)"))
    installed_on = forms.DateField(widget=DATE, label=_("Installed on"))
    first_read = forms.CharField(max_length=20, label=_("First read"), widget=READING,
                                 help_text=_("the register when installed"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["installed_on"].initial = timezone.localdate()


class StartServiceForm(forms.Form):
    service_point = forms.ModelChoiceField(queryset=ServicePoint.objects.none(), label=_("Service point"),
                                           empty_label=_("— choose a service point —"))
    rate_schedule = forms.ModelChoiceField(queryset=RateSchedule.objects.order_by("service", "code"), label=_("Rate"),
                                           empty_label=_("— choose a rate —"))
    customer_class = forms.ChoiceField(choices=CUSTOMER_CLASSES, label=_("Customer class"))
    bill_cycle = forms.ModelChoiceField(queryset=BillCycle.objects.all(), label=_("Bill cycle"), empty_label=None)
    start_date = forms.DateField(widget=DATE, label=_("Start date"))
    move_in_read = forms.CharField(max_length=20, required=False, label=_("Move-in read"), widget=READING,
                                   help_text=_("the meter's register on the start date; leave empty if not read"))
    size_class = forms.ChoiceField(choices=[("", "—"), *ServiceAgreement.SizeClass.choices], required=False,
                                   label=_("Size class"), help_text=_("for a rate whose base charge depends on it "
                                                                 "(Schedule 7)"))

    def __init__(self, *args, service_points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_point"].queryset = service_points
        self.fields["service_point"].label_from_instance = lambda sp: (
            f"{sp.get_service_display()}{' ' + sp.label if sp.label else ''} — {sp.premise.address}")
        self.fields["rate_schedule"].label_from_instance = lambda r: f"{r.code} {r.name} ({r.get_service_display()})"
        self.fields["start_date"].initial = timezone.localdate()


class StopServiceForm(forms.Form):
    agreement = forms.ModelChoiceField(queryset=ServiceAgreement.objects.none(), label=_("Service"), empty_label=None)
    end_date = forms.DateField(widget=DATE, label=_("Last day of service"))
    final_read = forms.CharField(max_length=20, required=False, label=_("Final read"), widget=READING,
                                 help_text=_("the meter's register on the last day; leave empty if not read"))
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
    move_date = forms.DateField(widget=DATE, label=_("Move-in date"),
                                help_text=_("Service at the old address ends the day before."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_date"].initial = timezone.localdate()


class CloseAccountForm(forms.Form):
    """The last day of service and a final read for each metered service."""

    closed_on = forms.DateField(widget=DATE, label=_("Last day of service"))
    note = forms.CharField(max_length=200, required=False, help_text=_("e.g. moved out of the service area"))

    def __init__(self, *args, metered, **kwargs):
        """``metered``: (agreement, meter serial) of each active metered service."""
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()
        self.read_fields = []
        for agreement, serial in metered:
            name = f"read_{agreement.pk}"
            self.fields[name] = forms.CharField(
                max_length=20, label=f"Final read — {agreement.get_service_display()}, meter {serial}",
                widget=READING, help_text=_("the register on the last day of service"),
                error_messages={"required": "Enter this meter's final read: final bills are not estimated."})
            self.read_fields.append((agreement, name))

    def final_reads(self) -> dict[int, str]:
        return {agreement.pk: self.cleaned_data[name] for agreement, name in self.read_fields}
