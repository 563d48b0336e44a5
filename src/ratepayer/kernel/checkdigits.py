"""Check digits used on routing numbers, scan lines and account numbers."""

from __future__ import annotations

ABA_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


def aba_check_digit(first_eight: str) -> int:
    """Check digit (9th digit) of an ABA routing number from its first 8 digits."""
    if len(first_eight) != 8 or not first_eight.isdigit():
        raise ValueError("an ABA routing prefix is 8 digits")
    total = sum(int(d) * w for d, w in zip(first_eight, ABA_WEIGHTS[:8], strict=True))
    return (10 - total % 10) % 10


def is_valid_aba(routing: str) -> bool:
    """True when a 9-digit routing number passes the 3-7-1 check."""
    if len(routing) != 9 or not routing.isdigit():
        return False
    return sum(int(d) * w for d, w in zip(routing, ABA_WEIGHTS, strict=True)) % 10 == 0


def mod10_left_21(digits: str) -> int:
    """Creditron-style scan line Mod 10: weights 2,1,2,1... from the left,
    sum the digits of each product, check = (10 - sum mod 10) mod 10."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("check digit input must be digits only")
    # digit sums of 2×d for the doubled (even) positions, the digit itself for the others
    total = sum(map(_DOUBLED_DIGIT_SUM.__getitem__, digits[0::2])) + sum(map(int, digits[1::2]))
    return (10 - total % 10) % 10


_DOUBLED_DIGIT_SUM = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}


def luhn_check_digit(digits: str) -> int:
    """Standard Luhn: weights 2,1,... from the right of the payload."""
    if not digits.isdigit():
        raise ValueError("check digit input must be digits only")
    total = 0
    for position, char in enumerate(reversed(digits)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def is_valid_luhn(number: str) -> bool:
    return len(number) >= 2 and number.isdigit() and luhn_check_digit(number[:-1]) == int(number[-1])
