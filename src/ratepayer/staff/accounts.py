"""Account numbers for staff's own rows.

Approval requests and audit events carry the account they concern as a plain
id: staff sits below customers (DESIGN §3) and never imports it. The customers
app tells staff how to turn ids into account numbers and back, from its
AppConfig.ready (``provide``); the staff pages show numbers through these."""

from __future__ import annotations

from collections.abc import Callable, Iterable

_numbers_of: Callable[[set[int]], dict[int, str]] | None = None
_id_of: Callable[[str], int | None] | None = None


def provide(*, numbers_of: Callable[[set[int]], dict[int, str]], id_of: Callable[[str], int | None]) -> None:
    global _numbers_of, _id_of
    _numbers_of, _id_of = numbers_of, id_of


def numbers_of(account_ids: Iterable[int | None]) -> dict[int, str]:
    """{id: account number} for these ids (one query); empty without customers."""
    ids = {i for i in account_ids if i}
    if not ids or _numbers_of is None:
        return {}
    return _numbers_of(ids)


def id_of(number: str) -> int | None:
    """The id of the account with this number, or None."""
    return _id_of(number) if _id_of is not None else None


def attach_numbers(rows) -> None:
    """Set ``row.account_number`` on rows that carry an ``account_id``."""
    numbers = numbers_of(r.account_id for r in rows)
    for row in rows:
        row.account_number = numbers.get(row.account_id, "")
