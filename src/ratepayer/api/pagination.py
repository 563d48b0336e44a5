"""Paging parameters every list endpoint uses, with bounds.

An offset or limit outside the bounds is refused with 422 ``invalid`` naming
the parameter, before any query: an unbounded integer reached the database
as ``OFFSET 99999999999999999999`` and failed there (an overflow, a 500).
"""

from __future__ import annotations

from ninja import Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Far beyond any list the API serves, far below 2**63 (a 64-bit OFFSET).
MAX_OFFSET = 10_000_000


def offset_param(default: int = 0):
    return Query(default, ge=0, le=MAX_OFFSET, description=f"rows to skip, 0 to {MAX_OFFSET:,}")


def limit_param(default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT):
    return Query(default, ge=1, le=maximum, description=f"rows per page, 1 to {maximum}")


def page(rows: list, offset: int, limit: int) -> tuple[list, int | None]:
    """Rows fetched with one extra beyond the page -> (page rows, next offset or None)."""
    has_more = len(rows) > limit
    return rows[:limit], (offset + limit if has_more else None)
