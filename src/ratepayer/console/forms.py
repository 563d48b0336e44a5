"""Console forms: they check the shape of input; the actions check the rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from ratepayer.billing.models import Adjustment, AdjustmentReason
from ratepayer.customers.models import ServiceAgreement
from ratepayer.forms import MoneyField
from ratepayer.staff import actions as staff_actions
from ratepayer.staff.errors import LoginThrottled
from ratepayer.staff.middleware import client_address
from ratepayer.staff.roles import LIMITED_ACTIONS, ROLES


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


class LoginForm(AuthenticationForm):
    """Django's sign-in form with login throttling: refused after too many
    recent failures for the username or from the address, even with the right
    password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That user name and password do not match. Check Caps Lock; after several failed "
                         "tries the account is locked for a while.",
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        address = client_address(self.request) if self.request is not None else None
        if username:
            try:
                staff_actions.check_login_allowed(username, address)
            except LoginThrottled as exc:
                raise forms.ValidationError(str(exc), code="throttled") from exc
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if username and exc.code == "invalid_login":
                staff_actions.record_login_failure(username, address)
            raise
        if username:
            staff_actions.clear_login_failures(username)
        return cleaned


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
    amount = MoneyField(minimum="0.00", maximum="999999999999.99")
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
