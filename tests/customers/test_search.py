"""Accent folding and punctuation in the account search (issue: "Martínez" split in two)."""

import importlib
from datetime import date
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from ratepayer.customers import actions, search
from ratepayer.customers.models import Meter, SearchEntry
from ratepayer.customers.queries import search_account_ids


def _open(users, name, *, line1="PO Box 1", email=""):
    customer = actions.create_customer(user=users["specialist"], name=name)
    if email:
        customer.contacts.create(name=name, email=email)
    account = actions.open_account(user=users["specialist"], customer=customer, mailing_line1=line1,
                                   mailing_city="Everett", mailing_zip="98201", opened_on=date(2025, 1, 1))
    actions.reindex_accounts([account.pk])
    return account


def test_fold_strips_accents_and_case():
    assert search.fold("Martínez") == search.fold("MARTÍNEZ") == "martinez"
    assert search.words("Søren Ærø-Łukasz Straße") == ["soren", "aero", "lukasz", "strasse"]
    assert search.words("O'Brien") == search.words("O’BRIEN") == ["obrien"]
    assert search.words("Smith-Jones") == ["smith", "jones"]


@pytest.mark.parametrize("query", ["martinez", "Martínez", "MARTÍNEZ", "martí", "MARTIN", "josé martinez",
                                   "Jose Martínez"])
def test_accented_names_are_found_however_they_are_typed(utility, users, query):
    account = _open(users, "José Martínez")
    assert search_account_ids(query) == [account.pk]


def test_no_term_keeps_an_accent_or_a_split_half(utility, users):
    account = _open(users, "José Martínez", line1="12 Rue Côté")
    terms = set(SearchEntry.objects.filter(account=account).values_list("term", flat=True))
    assert {"jose", "martinez", "cote", "rue"} <= terms
    assert not {"mart", "nez", "jos", "c", "t"} & terms


@pytest.mark.parametrize("query", ["O'Brien", "o’brien", "obrien", "OBRIEN", "brien", "o brien", "o'bri"])
def test_apostrophes(utility, users, query):
    account = _open(users, "Siobhán O'Brien")
    assert search_account_ids(query) == [account.pk]


@pytest.mark.parametrize("query", ["Smith-Jones", "smith jones", "jones", "smith", "jones smith", "SMITH-JON"])
def test_hyphenated_names(utility, users, query):
    account = _open(users, "Ann Smith-Jones")
    assert search_account_ids(query) == [account.pk]


def test_punctuated_identifiers_still_match_whole(utility, users):
    account = _open(users, "Kim Ng", email="Kim.Ng-Ops@Example.com")
    assert search_account_ids("kim.ng-ops@example.com") == [account.pk]
    assert search_account_ids("KIM.NG-OPS@EX") == [account.pk]  # partial e-mail: one token, prefix
    Meter.objects.filter(serial_number="E1000123").update(serial_number="AB-77-1")
    actions.reindex_accounts([utility.account.pk])
    assert search_account_ids("ab-77-1") == [utility.account.pk]
    assert search_account_ids("AB-77") == [utility.account.pk]


def test_an_unmatched_word_still_excludes(utility, users):
    _open(users, "José Martínez")
    assert search_account_ids("martinez smith") == []
    assert search_account_ids("martinex") == []


def test_migration_rebuilds_terms_written_before_folding(utility, users):
    account = _open(users, "José Martínez")
    # what the old tokenizer wrote: accents split the word, hyphens kept
    SearchEntry.objects.filter(account=account).delete()
    SearchEntry.objects.bulk_create([SearchEntry(account=account, kind="name", term=t)
                                     for t in ("jos", "mart", "nez")])
    assert search_account_ids("martinez") == []
    migration = importlib.import_module("ratepayer.customers.migrations.0004_reindex_folded_terms")
    migration.reindex_all(apps, SimpleNamespace(connection=connection))
    assert search_account_ids("martinez") == [account.pk]
    assert search_account_ids(utility.account.number) == [utility.account.pk]
    assert search_account_ids("1204 pine") == [utility.account.pk]
    assert search_account_ids("e1000123") == [utility.account.pk]


def test_migration_is_set_wise(utility, users, django_assert_max_num_queries):
    for i in range(40):
        _open(users, f"Núñez {i}")
    migration = importlib.import_module("ratepayer.customers.migrations.0004_reindex_folded_terms")
    with django_assert_max_num_queries(8):
        migration.reindex_all(apps, SimpleNamespace(connection=connection))
    assert len(search_account_ids("nunez", limit=100)) == 40
