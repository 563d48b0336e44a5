"""Read models for the console's own pages (search, home), each a fixed
handful of queries. The account page's read model is customers.queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat

from ratepayer.customers.models import Account, SearchEntry, ServiceAgreement
from ratepayer.customers.queries import search_account_ids
from ratepayer.customers.search import query_words
from ratepayer.db.money import MoneySum
from ratepayer.ledger.models import ARBalance
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.models import AuditEvent

ZERO = Decimal("0.00")


# --- search ------------------------------------------------------------------

# what matched, most telling first ("jane" matches the name before jane.doe@...)
MATCH_WORDS = {"number": "account number", "meter": "meter", "phone": "phone", "name": "name", "address": "address",
               "email": "e-mail"}


@dataclass
class SearchHit:
    account: Account
    service_address: str
    balance: Decimal
    matched: str


def search_hits(query: str, limit: int = 25) -> list[SearchHit]:
    """Accounts for the search box with their service address and balance:
    the customers.queries index scan, then one query for the accounts with
    their customer, current service address and balance (correlated
    sub-queries, so the page costs the same whatever matched), and one for
    what matched. The customer's encrypted fields are not read (nor decrypted):
    a result shows the name only."""
    ids = search_account_ids(query, limit)
    if not ids:
        return []
    # an account's current address first ("active" sorts before "ended"), then its newest service
    service = (ServiceAgreement.objects.filter(account_id=OuterRef("pk"))
               .order_by("status", "-start_date", "-id"))
    balance = (ARBalance.objects.filter(account_id=OuterRef("pk")).order_by().values("account_id")
               .annotate(total=MoneySum("balance")).values("total"))
    found = (Account.objects.filter(pk__in=ids).select_related("customer")
             .defer("customer__tax_id", "customer__date_of_birth")
             .annotate(hit_balance=Subquery(balance),
                       hit_address=Subquery(service.annotate(
                           line=Concat("service_point__premise__line1", Value(", "), "service_point__premise__city",
                                       output_field=CharField())).values("line")[:1]),
                       hit_service_status=Subquery(service.values("status")[:1])))
    accounts = {a.pk: a for a in found}
    words = query_words(query)
    kinds: dict[int, set[str]] = defaultdict(set)
    if words:
        first = words[0]
        for account_id, kind in (SearchEntry.objects.filter(account_id__in=ids, term__gte=first, term__lt=first + "{")
                                 .values_list("account_id", "kind")):
            kinds[account_id].add(kind)
    matched = {i: MATCH_WORDS[next(k for k in MATCH_WORDS if k in found)] for i, found in kinds.items()
               if any(k in MATCH_WORDS for k in found)}
    return [SearchHit(a, _service_address(a), a.hit_balance or ZERO, matched.get(i, ""))
            for i in ids if (a := accounts.get(i)) is not None]


def _service_address(account: Account) -> str:
    if account.hit_address is None:
        return ""
    suffix = "" if account.hit_service_status == ServiceAgreement.Status.ACTIVE else " (service ended)"
    return f"{account.hit_address}{suffix}"


# --- dashboard ---------------------------------------------------------------

def recently_opened_accounts(user, limit: int = 10) -> list[Account]:
    """Accounts this user opened most recently (from the audit trail)."""
    ids = list(AuditEvent.objects.filter(user=user, action=AuditAction.ACCOUNT_VIEWED, account_id__isnull=False)
               .order_by("-at", "-id").values_list("account_id", flat=True)[: limit * 5])
    ids = list(dict.fromkeys(ids))[:limit]
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=ids).select_related("customer")}
    return [accounts[i] for i in ids if i in accounts]


def account_numbers(account_ids) -> dict[int, str]:
    ids = {i for i in account_ids if i}
    if not ids:
        return {}
    return dict(Account.objects.filter(pk__in=ids).values_list("pk", "number"))
