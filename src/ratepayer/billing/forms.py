"""Forms of the billing pages: they check the shape of input; the actions check the rules."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ratepayer.customers.models import ServiceAgreement
from ratepayer.staff.forms import MoneyField

from .models import Adjustment, AdjustmentReason


class AdjustmentForm(forms.Form):
    agreement = forms.ModelChoiceField(queryset=ServiceAgreement.objects.none(), label="Service",
                                       empty_label=None)
    direction = forms.ChoiceField(choices=Adjustment.Direction.choices, widget=forms.RadioSelect)
    amount = MoneyField(minimum="0.01")
    reason = forms.ModelChoiceField(queryset=AdjustmentReason.objects.filter(is_active=True), to_field_name="code",
                                    empty_label="— choose a reason —")
    memo = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Why: the next person will read this to the customer.")
    effective_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Effective date")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = (
            ServiceAgreement.objects.filter(account=account)
            .select_related("service_point__premise").order_by("status", "service", "-start_date"))
        self.fields["agreement"].label_from_instance = lambda a: (
            f"{a.get_service_display()} — {a.service_point.premise.address}"
            + ("" if a.status == "active" else f" (ended {a.end_date})"))
        self.fields["effective_date"].initial = timezone.localdate()
