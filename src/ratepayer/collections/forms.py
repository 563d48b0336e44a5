"""Forms of the arrangement wizard and the contract pages: the shape of the input only;
the actions (collections.actions.arrangements / .contracts) check the rules."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ratepayer.staff.forms import MoneyField

from .models import LongTermContract, PaymentArrangement


def _today():
    return timezone.localdate()


class ArrangementForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=PaymentArrangement.Kind.choices, initial="ordinary")
    past_due_amount = MoneyField(label="Past-due amount", minimum="0.01",
                                 help_text="what the installments cover (at most what the account owes)")
    down_payment = MoneyField(label="Down payment", minimum="0.00", required=False,
                              help_text="blank: the collection policy's share")
    installments = forms.IntegerField(label="Installments", min_value=1, max_value=60, required=False,
                                      help_text="ordinary arrangements: how many monthly installments")
    monthly_income = MoneyField(label="Monthly income", minimum="0.00", required=False,
                                help_text="winter and heat plans: the household's monthly income")
    first_due = forms.DateField(label="First installment due", widget=forms.DateInput(attrs={"type": "date"}))
    made_on = forms.DateField(label="Made on", initial=_today, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="payments from this day count toward it")
    broken_after_days = forms.IntegerField(label="Grace days", min_value=0, max_value=60, initial=10,
                                           help_text="an installment unpaid this long after its due date breaks it")
    allow_another = forms.BooleanField(label="Allow beside another open arrangement (supervisor)", required=False)
    note = forms.CharField(label="Note", max_length=300, required=False)


class ContractForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=LongTermContract.Kind.choices, initial="sewer_connection")
    premise = forms.TypedChoiceField(label="Property", coerce=int, choices=())
    principal = MoneyField(label="Principal", minimum="0.01")
    annual_rate = forms.DecimalField(label="Annual rate (%)", min_value=0, max_value=25, decimal_places=4)
    term_months = forms.IntegerField(label="Term (months)", min_value=1, max_value=360)
    start_date = forms.DateField(label="First installment due", widget=forms.DateInput(attrs={"type": "date"}))
    made_on = forms.DateField(label="Made on", initial=_today, widget=forms.DateInput(attrs={"type": "date"}))
    lien_reference = forms.CharField(label="Recording number", max_length=60, required=False,
                                     help_text="county auditor's recording number of the notice (RCW 65.08.170)")
    lien_recorded_on = forms.DateField(label="Recorded on", required=False,
                                       widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="Note", max_length=300, required=False)

    def __init__(self, *args, premises=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["premise"].choices = [(p.pk, p.address) for p in premises]
