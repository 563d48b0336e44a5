"""The translatable strings are extractable with ``makemessages`` and every
customer-facing one is translated in every shipped catalog (issue 11,
"Translations with Django's i18n"; docs/operator-guide/languages.md)."""

from __future__ import annotations

import ast
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]
# where the customer reads: bills, bill e-mails, line descriptions, receipts, payment notices
CUSTOMER_FACING = ("billing/documents.py", "billing/line_text.py", "billing/tariff_words.py",
                   "billing/templates/billing/bill_document.html", "customers/i18n.py",
                   "payments/templates/payments/receipt.html", "payments/actions/core.py",
                   "collections/documents.py") + tuple(  # collection notices and their templates
    f"collections/notices/{p.name}" for p in (ROOT / "src/ratepayer/collections/templates/collections/notices").glob("*.html"))


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: locations, context, msgid, plural, msgstr(s)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"locations": [], "strings": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#:"):
                entry["locations"] += line[2:].split()
            elif m := re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line):
                key = m.group(1)
                entry["strings"][key] = ast.literal_eval(m.group(2))
            elif line.startswith('"') and key:
                entry["strings"][key] += ast.literal_eval(line)
            elif line.startswith("#~"):
                key = None
        if entry["strings"].get("msgid"):
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """``makemessages -l es`` over the project, written to a temporary locale folder."""
    if not shutil.which("xgettext"):
        pytest.fail("makemessages needs GNU gettext (Debian package gettext; scripts/install-system-test-deps.sh)")
    # a copy of the package without its catalogs (makemessages writes into any locale/ it finds)
    work = tmp_path_factory.mktemp("extract")
    shutil.copytree(ROOT / "src" / "ratepayer", work / "ratepayer",
                    ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "migrations"))
    locale = work / "locale"
    locale.mkdir()
    here = Path.cwd()
    os.chdir(work)
    try:
        with override_settings(LOCALE_PATHS=[str(locale)]):
            call_command("makemessages", locale=["es"], verbosity=0, add_location="file")
    finally:
        os.chdir(here)
    return po_entries(locale / "es" / "LC_MESSAGES" / "django.po")


def test_makemessages_extracts_the_bills_receipts_and_consoles_strings(db, extracted):
    found = {(e["strings"].get("msgctxt"), e["strings"]["msgid"]) for e in extracted}
    for expected in [
        (None, "Amount due"), (None, "Please return this portion with your payment"),  # the bill template
        ("tariff", "Basic charge"), (None, "first %(quantity)s %(unit)s"),  # bill line descriptions
        (None, "Your %(utility)s bill for %(period)s — %(amount)s due %(due)s"),  # the e-bill
        (None, "Payment receipt %(number)s"), (None, "Your payment was returned"),  # receipts, notices
        ("service", "Electric"), ("tender", "Cash"),
        (None, "Sign out"), (None, "Search accounts"), (None, "Keyboard shortcuts"),  # the console's shell
        (None, "Account opens on"),  # a form label (gettext_lazy)
        (None, "Print receipt"),
    ]:
        assert expected in found, expected


def test_every_customer_facing_string_is_translated_in_every_catalog(db, extracted):
    customer_facing = [e for e in extracted
                       if any(loc.replace(os.sep, "/").endswith(CUSTOMER_FACING) for loc in e["locations"])]
    assert len(customer_facing) > 100
    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        shipped = {}
        for entry in po_entries(Path(settings.LOCALE_PATHS[0]) / code / "LC_MESSAGES" / "django.po"):
            strings = entry["strings"]
            forms = [v for k, v in strings.items() if k.startswith("msgstr")]
            shipped[(strings.get("msgctxt"), strings["msgid"])] = all(forms)
        missing = [(e["strings"].get("msgctxt"), e["strings"]["msgid"]) for e in customer_facing
                   if not shipped.get((e["strings"].get("msgctxt"), e["strings"]["msgid"]))]
        assert not missing, (code, missing)


def test_a_language_is_added_by_configuration_not_code(db, users, settings):
    from ratepayer.customers import actions
    from ratepayer.customers.errors import CustomerError
    from ratepayer.customers.i18n import customer_language
    from ratepayer.settings import language_list

    offered = language_list(["es", "ru", "vi"])
    assert [code for code, _name in offered] == ["en", "es", "ru", "vi"]  # English always, first
    assert dict(offered)["ru"] == "Русский"  # each named in its own language
    with pytest.raises(Exception, match="two-letter"):
        language_list(["pt-br"])
    customer = actions.create_customer(user=users["specialist"], name="Nguyen Van A")
    account = actions.open_account(user=users["specialist"], customer=customer, mailing_line1="1 Main St",
                                   mailing_city="Monroe", mailing_zip="98272", opened_on=date(2025, 1, 2))
    with pytest.raises(CustomerError, match="Language: choose one of en, es, ru"):
        actions.change_bill_preferences(user=users["specialist"], account=account, language="vi")
    assert customer_language("vi") == "en"  # not offered: English
    settings.LANGUAGES = language_list(["es", "ru", "vi"])  # RATEPAYER_LANGUAGES=en,es,ru,vi
    actions.change_bill_preferences(user=users["specialist"], account=account, language="vi")
    customer.refresh_from_db()
    assert customer.language == "vi" and customer_language(customer.language) == "vi"
