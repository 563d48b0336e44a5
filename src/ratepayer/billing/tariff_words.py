"""The shipped tariffs' own words, for the gettext catalogs.

Bill line descriptions start with a tariff's words (a charge's description, a
time-of-use period's name), which live in tariff files, not in code, so
``makemessages`` cannot find them there. They are listed here, marked with the
context ``tariff`` that ``line_text.tariff_word`` looks them up under, so
``makemessages`` keeps them in every catalog. A utility whose tariffs use other
words adds them to its catalogs' ``.po`` files by hand with ``msgctxt "tariff"``
(docs/operator-guide/languages.md); tests/billing/test_bill_i18n.py checks that
every shipped tariff's words are here.
"""

from django.utils.translation import pgettext_lazy

TARIFF_WORDS = (
    # rating/examples
    pgettext_lazy("tariff", "07:00-11:00 Monday-Saturday"),
    pgettext_lazy("tariff", "Base charge"),
    pgettext_lazy("tariff", "Base charge (includes 500 cf)"),
    pgettext_lazy("tariff", "Base service charge"),
    pgettext_lazy("tariff", "Basic charge"),
    pgettext_lazy("tariff", "Capital surcharge"),
    pgettext_lazy("tariff", "Customer charge"),
    pgettext_lazy("tariff", "Daily base charge"),
    pgettext_lazy("tariff", "Demand charge, max demand 07:00-11:00 Mon-Sat"),
    pgettext_lazy("tariff", "Energy (summer)"),
    pgettext_lazy("tariff", "Energy (winter)"),
    pgettext_lazy("tariff", "Energy charge"),
    pgettext_lazy("tariff", "Minimum bill"),
    pgettext_lazy("tariff", "Minimum charge"),
    pgettext_lazy("tariff", "Ready-to-serve charge"),
    pgettext_lazy("tariff", "Sewer"),
    pgettext_lazy("tariff", "Sewer (includes 750 cf)"),
    pgettext_lazy("tariff", "Sewer base charge"),
    pgettext_lazy("tariff", "Sewer volume"),
    pgettext_lazy("tariff", "Sewer volume (winter average)"),
    pgettext_lazy("tariff", "Sewer volume over 750 cf"),
    pgettext_lazy("tariff", "Water"),
    pgettext_lazy("tariff", "Water over 500 cf"),
    # demo/sample_rates.py
    pgettext_lazy("tariff", "State public utility tax"),
    pgettext_lazy("tariff", "Water use"),
    pgettext_lazy("tariff", "Sewer service"),
    # rating/urdb.py (tariffs imported from OpenEI)
    pgettext_lazy("tariff", "Fixed charge"),
    pgettext_lazy("tariff", "Energy"),
    pgettext_lazy("tariff", "Demand"),
)
