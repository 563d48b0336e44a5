"""Search term normalization and the account search query.

Terms are stored normalized in SearchEntry; a query is split into words and
each word must prefix-match some term of the account (AND across words).
Phone numbers and account numbers match on digits only.
"""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^0-9a-z@._+-]+")
_DIGITS = re.compile(r"\D+")


def normalize(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def words(text: str) -> list[str]:
    return [w for w in normalize(text).split() if w]


def digits(text: str) -> str:
    return _DIGITS.sub("", text)


def terms_for(*, number: str, names: list[str], addresses: list[str], phones: list[str], emails: list[str],
              meters: list[str]) -> list[tuple[str, str]]:
    """(kind, term) pairs for one account."""
    out: set[tuple[str, str]] = {("number", digits(number) or number.lower())}
    for name in names:
        for w in words(name):
            out.add(("name", w))
    for address in addresses:
        for w in words(address):
            out.add(("address", w))
    for phone in phones:
        d = digits(phone)
        if d:
            out.add(("phone", d[-10:]))
            out.add(("phone", d[-7:]))  # local number without area code
    for email in emails:
        if email:
            out.add(("email", email.strip().lower()))
    for serial in meters:
        if serial:
            out.add(("meter", serial.strip().lower()))
    return [(kind, term[:120]) for kind, term in out]


def query_words(query: str) -> list[str]:
    """Words of a search query; a phone-like query collapses to its digits."""
    q = query.strip()
    if not q:
        return []
    d = digits(q)
    if d and len(d) >= 7 and re.fullmatch(r"[\d\s().+-]+", q):
        return [d[-10:] if len(d) >= 10 else d]
    return words(q)[:6]
