"""Forms of the staff pages (approvals, limits, audit trail, staff users), and
``add_domain_error``, which every app's pages use to put an action's error on
the field it names. Forms check the shape of input; the actions check the rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from .roles import LIMITED_ACTIONS, ROLES


def add_domain_error(form: forms.Form, error: Exception) -> None:
    """Put an action's error on the field it names ("Amount: enter a positive
    amount" goes under Amount), or at the top of the form."""
    message = str(error)
    head, sep, rest = message.partition(":")
    if sep:
        wanted = head.strip().lower()
        for name, bound in form.fields.items():
            if wanted in {name.lower().replace("_", " "), str(bound.label or "").lower()}:
                form.add_error(name, rest.strip())
                return
    form.add_error(None, message)


class DecisionForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, label="Reason")


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.order_by("username"), required=False,
                                  to_field_name="username", empty_label="anyone")
    action = forms.CharField(required=False, max_length=60,
                             help_text="e.g. adjustment, account.viewed, approval.approved")
    account = forms.CharField(required=False, max_length=12, label="Account number")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class LimitForm(forms.Form):
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])
    action = forms.ChoiceField(choices=list(LIMITED_ACTIONS.items()))
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "money"}))
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Effective from")
    reason = forms.CharField(max_length=200, help_text="e.g. board resolution 2025-14")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].initial = timezone.localdate()


class StaffUserForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="what they type to sign in, e.g. jdoe")
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.EmailField(required=False, label="E-mail")
    role = forms.ChoiceField(choices=[("", "choose a role")] + [(r, r) for r in ROLES])


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])


class StaffDeactivateForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="e.g. left the utility on 2026-11-20")
