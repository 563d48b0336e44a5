from django import template

from ratepayer.kernel.money import format_money

register = template.Library()


@register.filter
def money(value):
    """$1,234.56 / -$12.00; blank for None."""
    if value is None or value == "":
        return ""
    return format_money(value)
