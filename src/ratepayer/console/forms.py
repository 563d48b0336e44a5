"""Console forms: they check the shape of input; the actions check the rules.
The forms of each domain's pages live in that app (``staff.forms``, ``billing.forms``)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from ratepayer.staff import actions as staff_actions
from ratepayer.staff.errors import LoginThrottled
from ratepayer.staff.middleware import client_address


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
