"""Read-side queries for customers and accounts."""

from __future__ import annotations

from django.db import connection

from . import search
from .models import Account, SearchEntry

EXACT_KINDS = ("number", "meter", "phone", "email")


def _candidate_ids(words: list[str], limit: int) -> list[int]:
    """Account ids with a term starting with each word: a self-join of the
    search table, driven by the longest (most selective) word."""
    table = SearchEntry._meta.db_table
    ordered = sorted(words, key=len, reverse=True)
    joins, params = [], []
    for i, word in enumerate(ordered[1:], start=1):
        joins.append(f"JOIN {table} s{i} ON s{i}.account_id = s0.account_id AND s{i}.term >= %s AND s{i}.term < %s")
        params += [word, word + search.TERM_UPPER]
    sql = (f"SELECT s0.account_id FROM {table} s0 {' '.join(joins)} "
           f"WHERE s0.term >= %s AND s0.term < %s LIMIT %s")
    params += [ordered[0], ordered[0] + search.TERM_UPPER, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def search_account_ids(query: str, limit: int = 25) -> list[int]:
    """Accounts whose terms prefix-match every word of the query.

    A single word that is exactly an account number, meter, phone or e-mail
    answers first; otherwise every word must start some term of the account.
    One or two index-only queries whatever the size of the utility.
    """
    query_words = search.query_words(query)
    if not query_words:
        return []
    whole = search.exact_term(query)
    if whole:
        exact = list(SearchEntry.objects.filter(term=whole, kind__in=EXACT_KINDS)
                     .values_list("account_id", flat=True)[:limit])
        if exact:
            return list(dict.fromkeys(exact))
        if query_words != [whole]:  # one punctuated token: a partial e-mail or meter serial first
            ids = _candidate_ids([whole], limit * 8)
            if ids:
                return list(dict.fromkeys(ids))[:limit]
    ids = _candidate_ids(query_words, limit * 8)
    return list(dict.fromkeys(ids))[:limit]


def accounts_for_search(query: str, limit: int = 25) -> list[Account]:
    ids = search_account_ids(query, limit)
    if not ids:
        return []
    accounts = Account.objects.filter(pk__in=ids).select_related("customer")
    by_id = {a.pk: a for a in accounts}
    return [by_id[i] for i in ids if i in by_id]
