"""Form fields every app's console forms share.

``MoneyField`` is the one field for an amount a person types: it reads the
text by kernel.money.parse_amount (no commas, exponents, third decimals or
amounts above the bound) and compares with Decimal bounds — never a float,
so a one-cent minimum accepts 0.01."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from ratepayer.kernel.money import MAX_AMOUNT, AmountRefused, parse_amount


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
