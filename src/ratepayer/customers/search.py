"""Search term normalization and the account search query.

Terms are stored normalized in SearchEntry; a query is split into words and
each word must prefix-match some term of the account (AND across words).
Phone numbers and account numbers match on digits only.

Indexing and querying fold text the same way (`fold`): accents stripped
(NFKD, combining marks dropped), a few letters that do not decompose spelled
out (ø -> o, æ -> ae, ...), casefolded. So "Martínez", "MARTÍNEZ" and
"martinez" are one term. In names and addresses an apostrophe joins
("O'Brien" -> "obrien", also indexed as "brien") and every other punctuation
mark splits ("Smith-Jones" -> "smith", "jones").
"""

from __future__ import annotations

import re
import unicodedata

# Every stored term sorts below this in byte order (UTF-8 under SQLite's
# BINARY and PostgreSQL's "C" collation), so [w, w + TERM_UPPER) is exactly
# the set of terms starting with w: an index range scan.
TERM_UPPER = "\U0010ffff"

_SPELLED_OUT = str.maketrans({
    "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d",
    "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "ħ": "h", "Ħ": "h",
})
_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
_WORD_BREAK = re.compile(r"[\W_]+")
_BREAK_BUT_APOSTROPHES = re.compile(r"(?:(?!['\u2019\u02bc`\u00b4])[\W_])+")
_DIGITS = re.compile(r"\D+")
_PHONE_LIKE = re.compile(r"[\d\s().+-]+")


def fold(text: str) -> str:
    """Accent-free, case-free form of text; both sides of every comparison."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """Words of a name or address, folded; apostrophes join, other marks split."""
    return [w for w in _WORD_BREAK.split(_APOSTROPHES.sub("", fold(text))) if w]


def _name_terms(text: str) -> set[str]:
    """Words plus the parts after an apostrophe, so "brien" finds O'Brien."""
    out = set(words(text))
    for chunk in _BREAK_BUT_APOSTROPHES.split(fold(text)):
        parts = [p for p in _APOSTROPHES.split(chunk) if p]
        if len(parts) > 1:
            out.update(p for p in parts[1:] if len(p) > 1)
    return out


def token(text: str) -> str:
    """A whole identifier (e-mail, meter serial) folded, punctuation kept."""
    return fold(text.strip())


def digits(text: str) -> str:
    return _DIGITS.sub("", text)


def terms_for(*, number: str, names: list[str], addresses: list[str], phones: list[str], emails: list[str],
              meters: list[str]) -> list[tuple[str, str]]:
    """(kind, term) pairs for one account."""
    out: set[tuple[str, str]] = {("number", digits(number) or token(number))}
    for name in names:
        for w in _name_terms(name):
            out.add(("name", w))
    for address in addresses:
        for w in _name_terms(address):
            out.add(("address", w))
    for phone in phones:
        d = digits(phone)
        if d:
            out.add(("phone", d[-10:]))
            out.add(("phone", d[-7:]))  # local number without area code
    for email in emails:
        if email and email.strip():
            out.add(("email", token(email)))
    for serial in meters:
        if serial and serial.strip():
            out.add(("meter", token(serial)))
    return [(kind, term[:120]) for kind, term in out]


def _phone_digits(query: str) -> str | None:
    d = digits(query)
    if d and len(d) >= 7 and _PHONE_LIKE.fullmatch(query):
        return d[-10:] if len(d) >= 10 else d
    return None


def query_words(query: str) -> list[str]:
    """Words of a search query; a phone-like query collapses to its digits."""
    q = query.strip()
    if not q:
        return []
    phone = _phone_digits(q)
    if phone:
        return [phone]
    return words(q)[:6]


def exact_term(query: str) -> str | None:
    """The term a one-token query names exactly (account number, meter serial,
    e-mail, phone), punctuation kept: "AB-1234" is one meter, not two words."""
    q = query.strip()
    if not q or len(q.split()) != 1:
        return _phone_digits(q) if q else None
    return _phone_digits(q) or token(q)[:120]
