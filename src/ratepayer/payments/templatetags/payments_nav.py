from django import template

from ratepayer.payments.nav import BACK_OFFICE_PAGES

register = template.Library()


@register.simple_tag
def back_office_pages():
    """The back office's pages, for its row of links (payments/_subnav.html)."""
    return BACK_OFFICE_PAGES
