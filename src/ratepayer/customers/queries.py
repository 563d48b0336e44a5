"""Read-side queries for customers and accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from . import search
from .models import Account, SearchEntry

# Normalized terms use only [0-9a-z@._+-], all below '{' in byte order, so
# [w, w + '{') is exactly the set of terms starting with w.
_UPPER = "{"


def _prefix(word: str) -> QuerySet:
    return SearchEntry.objects.filter(term__gte=word, term__lt=word + _UPPER)


def search_account_ids(query: str, limit: int = 25) -> list[int]:
    """Accounts whose terms prefix-match every word of the query.

    Exact account-number or meter matches come first, then the rest. One
    or two indexed queries whatever the size of the utility.
    """
    query_words = search.query_words(query)
    if not query_words:
        return []
    if len(query_words) == 1:
        exact = list(SearchEntry.objects.filter(term=query_words[0], kind__in=["number", "meter", "phone", "email"])
                     .values_list("account_id", flat=True)[:limit])
        if exact:
            return list(dict.fromkeys(exact))
    longest = max(query_words, key=len)
    qs = _prefix(longest)
    for word in query_words:
        if word != longest:
            qs = qs.filter(account_id__in=_prefix(word).values("account_id"))
    ids = list(qs.values_list("account_id", flat=True)[: limit * 8])
    return list(dict.fromkeys(ids))[:limit]


def accounts_for_search(query: str, limit: int = 25) -> list[Account]:
    ids = search_account_ids(query, limit)
    if not ids:
        return []
    accounts = Account.objects.filter(pk__in=ids).select_related("customer")
    by_id = {a.pk: a for a in accounts}
    return [by_id[i] for i in ids if i in by_id]
