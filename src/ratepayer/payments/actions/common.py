"""What the payments actions share: the capability check, the strict reading
of an amount, the tender rules of the counter, and the guards every file
import starts with (the same file twice, items already posted). One module,
public names, so no sibling reaches into another's private helpers."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from django.db import IntegrityError, transaction

from ratepayer.kernel.checkdigits import is_valid_aba
from ratepayer.kernel.money import MAX_AMOUNT, MoneyError, check_amount, format_money, parse_amount
from ratepayer.staff import permissions

from ..errors import ImportRefused, PaymentError
from ..models import ImportedFile, Payment

CARD_BRANDS = ["Visa", "Mastercard", "American Express", "Discover"]
IN_CHUNK = 20_000  # values per lookup query (under SQLite's default limit of 32,766 bound parameters)
_LONG_DIGIT_RUN = re.compile(r"\d[\d -]{10,}\d")


def require(user, capability: str, doing: str) -> None:
    """Check the capability of a signed-in user; ``None`` is an operator at the server."""
    if user is not None:
        permissions.require(user, capability, doing)


def money(value, what: str, *, maximum: Decimal = MAX_AMOUNT, allow_negative: bool = False) -> Decimal:
    """An amount typed in a form, sent in an API body or passed by code, read
    by the one strict rule (kernel.money.parse_amount): no commas, exponents,
    third decimals or amounts above ``maximum``. Refusals are PaymentErrors
    that name ``what``."""
    try:
        if isinstance(value, str):
            return parse_amount(value, what=what, maximum=maximum, allow_negative=allow_negative)
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        if not isinstance(value, Decimal):
            raise PaymentError(f"{what}: {value!r} is not an amount")
        return check_amount(value, what=what, maximum=maximum, allow_negative=allow_negative)
    except MoneyError as exc:
        raise PaymentError(str(exc)) from exc


def validate_tender(tender: str, amount: Decimal, *, tendered, check_number: str, check_routing: str,
                    payer_name: str, card_brand: str, card_last4: str, processor_reference: str) -> dict:
    """The details a counter tender needs (cash handed over, a check's number,
    routing and payer, a card's brand, last four and terminal reference), as
    Payment fields. Never a card or bank account number."""
    for what, value in (("Check number", check_number), ("Payer", payer_name), ("Card brand", card_brand),
                        ("Processor reference", processor_reference)):
        if _LONG_DIGIT_RUN.search(value or ""):
            raise PaymentError(f"{what}: looks like a card or bank account number. Never enter one: "
                               "record only the processor reference and the last four digits.")
    if tender == Payment.Tender.CASH:
        given = money(tendered, "Cash tendered") if tendered not in (None, "") else amount
        if given < amount:
            raise PaymentError(f"Cash tendered: {format_money(given)} is less than the payment "
                               f"{format_money(amount)}.")
        return {"tendered": given, "change_given": given - amount}
    if tender in (Payment.Tender.CHECK, Payment.Tender.MONEY_ORDER):
        number = (check_number or "").strip()
        if not number.isdigit():
            raise PaymentError(f"{'Check' if tender == 'check' else 'Money order'} number: enter the number "
                               "printed on it (digits only).")
        routing = (check_routing or "").strip()
        if tender == Payment.Tender.CHECK and not is_valid_aba(routing):
            raise PaymentError(f"Routing number: {routing or '(blank)'} is not a valid 9-digit ABA routing number "
                               "(the 9 digits between the transit symbols at the bottom left of the check).")
        if tender == Payment.Tender.CHECK and not payer_name.strip():
            raise PaymentError("Payer: enter the name printed on the check.")
        return {"check_number": number, "check_routing": routing, "payer_name": payer_name.strip()[:120]}
    if tender == Payment.Tender.CARD:
        if card_brand not in CARD_BRANDS:
            raise PaymentError(f"Card brand: choose one of {', '.join(CARD_BRANDS)}.")
        if not re.fullmatch(r"\d{4}", card_last4 or ""):
            raise PaymentError("Last four: enter exactly the last four digits of the card, never the whole number.")
        if not (processor_reference or "").strip():
            raise PaymentError("Processor reference: enter the approval reference from the card terminal.")
        return {"card_brand": card_brand, "card_last4": card_last4, "payer_name": payer_name.strip()[:120]}
    raise PaymentError(f"Tender: {tender!r} is not taken at the counter (cash, check, card or money order).")


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def refuse_repeat(content: bytes, name: str) -> str:
    """The file's sha256, unless the same file was imported before (then refused whole)."""
    sha = file_sha256(content)
    earlier = ImportedFile.objects.filter(sha256=sha).first()
    if earlier is not None:
        raise ImportRefused(name, [f"this file was already imported on {earlier.imported_at:%Y-%m-%d %H:%M} as "
                                   f"{earlier.name!r} (#{earlier.pk}); nothing was imported again"])
    return sha


def record_imported_file(*, name: str, sha256: str, **fields) -> ImportedFile:
    """Record a file as imported — the first write of every import's transaction, so
    that of two imports of the same file running at once, the second waits on the
    unique sha256 until the first commits and is then refused as already imported
    (not an IntegrityError). Only a file that posted is recorded: a refused file
    leaves no row, and importing it again once it is complete is never blocked."""
    try:
        with transaction.atomic():
            return ImportedFile.objects.create(name=name[:200], sha256=sha256, **fields)
    except IntegrityError:
        raise ImportRefused(name, ["this file was imported at the same time by another session; it was posted once "
                                   "and nothing was imported again"]) from None


def existing_references(model, references: list[str]) -> set[str]:
    """Which of ``references`` ``model`` already holds (a few queries, whatever the count)."""
    found: set[str] = set()
    for start in range(0, len(references), IN_CHUNK):
        found.update(model.objects.filter(external_reference__among=references[start:start + IN_CHUNK])
                     .values_list("external_reference", flat=True))
    return found
