"""Read-side queries for customers and accounts."""

from __future__ import annotations

from django.db import connection

from . import search
from .models import Account, SearchEntry

EXACT_KINDS = ("number", "meter", "phone", "email")


def _candidate_ids(words: list[str], limit: int) -> list[int]:
    """Account ids with a term starting with each word: the longest (most
    selective) word's terms, each kept if the account also has a term starting
    with every other word — one probe of the (account, term) index per
    candidate. The probe is a correlated sub-query on purpose: PostgreSQL
    estimates a prefix range at one row and, joining, scanned the second word's
    whole range once per candidate ("alexa ashley": 2.2 million rows, 270 ms);
    ``OFFSET 0`` keeps it from turning the sub-query back into that join."""
    table = SearchEntry._meta.db_table
    ordered = sorted(words, key=len, reverse=True)
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    conditions, params = [], [ordered[0], ordered[0] + search.TERM_UPPER]
    for word in ordered[1:]:
        conditions.append(f"AND EXISTS (SELECT 1 FROM {table} s1 WHERE s1.account_id = s0.account_id "
                          f"AND s1.term >= %s AND s1.term < %s{fence})")
        params += [word, word + search.TERM_UPPER]
    sql = f"SELECT s0.account_id FROM {table} s0 WHERE s0.term >= %s AND s0.term < %s {' '.join(conditions)} LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
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
