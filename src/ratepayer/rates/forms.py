"""Rates console forms: they check the shape of input; the actions and the
rating model check the rules."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import SERVICES, RateSchedule


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ScheduleForm(forms.Form):
    code = forms.CharField(max_length=32, help_text=_("Short and stable, e.g. E-7, W-RES, S-GEN."))
    name = forms.CharField(max_length=120)
    service = forms.ChoiceField(choices=SERVICES)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.CharField(required=False, max_length=300, label=_("Published at"),
                             help_text=_("Where the board-adopted tariff is published (URL or resolution number)."))


class VersionForm(forms.Form):
    effective_from = forms.DateField(widget=DateInput(), label=_("Effective from"),
                                     help_text=_("First day these rates apply. It replaces the document's own "
                                               "'effective' date."))
    document = forms.CharField(
        label=_("Tariff document (YAML)"), strip=False,
        widget=forms.Textarea(attrs={"rows": 32, "spellcheck": "false", "class": "code-editor",
                                     "autocomplete": "off", "autocapitalize": "off"}),
        help_text=_("Field by field in docs/tariffs.md. Rates keep at most 8 decimal places."))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("Why: board resolution, rate study, what changed."))


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=500)


class CalculatorForm(forms.Form):
    schedule = forms.ModelChoiceField(queryset=RateSchedule.objects.all(), empty_label=_("Choose a schedule"))
    on_date = forms.DateField(widget=DateInput(), label=_("Rates in force on"),
                              help_text=_("The version in force on this day is used; a bill period of register "
                                        "usage starts on it."))
    quantity = forms.DecimalField(required=False, max_digits=14, decimal_places=4, min_value=0, label=_("Usage"),
                                  help_text=_("kWh for electric, the tariff's unit (usually CCF) for water and sewer."))
    demand_kw = forms.DecimalField(required=False, max_digits=12, decimal_places=4, min_value=0, label=_("Demand (kW)"))
    days = forms.IntegerField(required=False, min_value=1, max_value=400, initial=30, label=_("Days in the period"))
    intervals = forms.FileField(required=False, label=_("…or interval data"),
                                help_text=_("CSV with start,kwh[,kw] (local times) or Green Button XML; billed by "
                                          "calendar month."))
    meter_size = forms.CharField(required=False, max_length=20, label=_("Meter size"), help_text='e.g. 5/8, 3/4, 1, 2')
    size_class = forms.CharField(required=False, max_length=20, label=_("Size class"),
                                 help_text=_("e.g. small, medium, large (Snohomish PUD Schedule 7)"))
    dwelling_units = forms.IntegerField(required=False, min_value=1, max_value=10000, initial=1,
                                        label=_("Dwelling units"))
    connected_load_kw = forms.DecimalField(required=False, max_digits=12, decimal_places=4, min_value=0,
                                           label=_("Connected load (kW)"),
                                           help_text=_("For connected-load minimums (Snohomish PUD Schedule 24)."))
    winter_average = forms.DecimalField(required=False, max_digits=12, decimal_places=4, min_value=0,
                                        label=_("Winter average per day"), help_text=_("For winter-average sewer."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_date"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        has_file = bool(cleaned.get("intervals"))
        if not has_file and cleaned.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", "Enter the usage, or upload interval data.")
        if not has_file and not cleaned.get("days") and "days" not in self.errors:
            self.add_error("days", "Enter the number of days in the bill period.")
        return cleaned
