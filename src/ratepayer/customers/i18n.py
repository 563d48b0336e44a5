"""The customer's language and the U.S. date format, for everything a customer reads.

Customer documents and e-mails (bills, receipts, payment-return notices) are
rendered with ``translation.override(customer_language(customer.language))``
and Django's gettext catalogs (``ratepayer/locale``). Amounts are
``kernel.money.format_money`` ("$1,234.56") in every language; dates are
``customer_date``: U.S. order in every language (DESIGN §2).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import pgettext


def customer_language(code: str | None) -> str:
    """The language a customer's documents are written in: theirs if the
    installation offers it (``settings.LANGUAGES``), else English."""
    return code if code and code in {c for c, _ in settings.LANGUAGES} else "en"


def customer_date(day: date) -> str:
    """A date for a customer, in the active language, in U.S. order: "Feb 14,
    2025" in English. The format is itself a translated string (context
    "bill date format"); the Spanish and Russian catalogs give "m/d/Y"
    ("02/14/2025"), U.S. month/day order in numbers every reader can read."""
    return date_format(day, pgettext("bill date format", "M j, Y"))
