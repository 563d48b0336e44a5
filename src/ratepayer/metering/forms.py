"""Forms of the metering console pages: they check the shape of input; the rules
(validation against history, permissions) are in metering.actions."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ReadException, RegisterRead

ENTRY_TYPES = [(t.value, t.label) for t in RegisterRead.ReadType if t.value != "estimated"]


class ReadEntryForm(forms.Form):
    read_date = forms.DateField(label=_("Read date"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("Reading"), max_digits=14, decimal_places=4, min_value=0,
                               help_text=_("as shown on the dials"), widget=forms.TextInput(attrs={
                                   "inputmode": "decimal", "autocomplete": "off", "class": "reading"}))
    read_type = forms.ChoiceField(label=_("Read type"), choices=[c for c in ENTRY_TYPES if c[0] not in
                                                              ("meter_out", "meter_in")], initial="actual")
    demand_kw = forms.DecimalField(label=_("Demand (kW)"), required=False, max_digits=12, decimal_places=4, min_value=0,
                                   widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, has_demand: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["read_date"].initial = timezone.localdate()
        if not has_demand:
            del self.fields["demand_kw"]

    def clean_read_date(self):
        day = self.cleaned_data["read_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("A read cannot be dated in the future.")
        return day


class MeterChangeForm(forms.Form):
    new_meter = forms.CharField(label=_("New meter serial number"), max_length=32)
    change_date = forms.DateField(label=_("Change date"), widget=forms.DateInput(attrs={"type": "date"}))
    out_read = forms.DecimalField(label=_("Old meter out read"), max_digits=14, decimal_places=4, min_value=0)
    in_read = forms.DecimalField(label=_("New meter in read"), max_digits=14, decimal_places=4, min_value=0)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean_change_date(self):
        day = self.cleaned_data["change_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("A meter change cannot be dated in the future.")
        return day


class RouteFileForm(forms.Form):
    file = forms.FileField(label=_("Route file"), help_text=_("CSV in the default layout, or the layout your mapping "
                                                         "describes"))
    mapping = forms.FileField(label=_("Column mapping (optional)"), required=False,
                              help_text=_("JSON; see “Route file format” in the documentation"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("", "Choose a decision…"), *ReadException.Decision.choices],
                                 error_messages={"required": "Choose a decision."})
    corrected_value = forms.DecimalField(required=False, max_digits=14, decimal_places=4, min_value=0)
    note = forms.CharField(required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "correct" and data.get("corrected_value") is None:
            self.add_error("corrected_value", "Enter the corrected reading.")
        return data
