"""Forms of the staff pages (approvals, limits, audit trail, staff users), and
what every app's forms share: ``add_domain_error``, which puts an action's
error on the field it names, and ``MoneyField``, the one field for an amount a
person types (kernel.money.parse_amount: no commas, exponents, third decimals
or amounts above the bound; Decimal bounds, never a float, so a one-cent
minimum accepts 0.01). Forms check the shape of input; the actions check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from ratepayer.kernel.money import MAX_AMOUNT, AmountRefused, parse_amount

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


class MoneyField(forms.Field):
    """An amount in dollars and cents, cleaned to a 2-place Decimal."""

    def __init__(self, *, minimum: Decimal | str | None = None, maximum: Decimal | str = MAX_AMOUNT,
                 allow_negative: bool = False, **kwargs):
        self.minimum = Decimal(minimum) if minimum is not None else None
        self.maximum = Decimal(maximum)
        self.allow_negative = allow_negative
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                                           "class": "money", "maxlength": "32"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not text:
            return None
        try:
            amount = parse_amount(text, what="", maximum=self.maximum, allow_negative=self.allow_negative)
        except AmountRefused as exc:
            raise forms.ValidationError(exc.problem[:1].upper() + exc.problem[1:] + ".", code="amount") from exc
        if self.minimum is not None and amount < self.minimum:
            raise forms.ValidationError(f"Enter at least {self.minimum}.", code="min_value")
        return amount

    def prepare_value(self, value):
        return f"{value:.2f}" if isinstance(value, Decimal) else value


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
