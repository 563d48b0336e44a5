"""The database half of the mutation corpus (issue 10, point 10): a damaged file is
refused whole, naming file, line and field, with every table unchanged; a harmless
change imports exactly what the original imports.

``representative(content)`` picks, from every kind of damage in
tests/formats/mutations.py, the variants that exercise a different check — the pure
readers get every variant (tests/formats/test_mutation_corpus.py); through the
database a subset keeps the suite fast:
a cut at the middle line boundary, a cut that loses only the last line (the trailer
or the closing record; NACHA's filler lines of 9s do not count), a cut in the middle of
the line before it, the high bit of a
byte in the middle line, a NUL there, UTF-16 and Latin-1 re-encodings, a
200,000-character line and a junk line in the middle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from django.apps import apps
from django.db import transaction

from tests.formats import mutations

OUR_APPS = {"customers", "ledger", "metering", "payments", "billing", "rates", "staff"}


def table_counts() -> dict[str, int]:
    """Rows in every table of ours (a refused file must leave each one as it was)."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.app_label in OUR_APPS}


def representative(content: bytes) -> Iterator[tuple[str, bytes]]:
    lines = mutations.lines_of(content)
    middle = len(lines) // 2
    # the last line with content (a NACHA file ends in lines of 9s that only fill its last block)
    last = max(i for i, line in enumerate(lines) if line.strip(b"9\r\n"))
    wanted = {"cut after line " + str(middle), "cut after line " + str(last), f"cut mid-line {last}", f"bit flipped in line {middle + 1}", f"NUL in line {middle + 1}",
              "re-encoded UTF-16", "re-encoded UTF-16 without BOM", "re-encoded Latin-1", "huge line inserted",
              f"junk line after line {middle}"}
    for label, data in mutations.damaged(content):
        if label in wanted:
            yield label, data


NAMED = re.compile(r"line \d+")


def assert_refused_whole(do_import: Callable[[bytes, str], object], refused: type[Exception], content: bytes
                         ) -> list[str]:
    """Import every representative damaged variant of ``content``: each must raise
    ``refused`` naming the file and a line, and leave every table unchanged. Returns
    the labels tried (so a caller can see the subset was not empty)."""
    tried = []
    for label, data in representative(content):
        name = f"damaged-{len(tried)}.dat"
        before = table_counts()
        try:
            do_import(data, name)
        except refused as exc:
            text = str(exc)
            assert name in text and NAMED.search(text), f"{label}: the refusal does not name file and line: {text}"
        else:
            raise AssertionError(f"{label}: a damaged file was imported")
        assert table_counts() == before, f"{label}: tables changed by a refused file"
        tried.append(label)
    return tried


class _Rollback(Exception):
    pass


def imported_as(do_import: Callable[[bytes, str], object], describe: Callable[[], object], content: bytes,
                name: str):
    """What importing ``content`` writes (``describe()`` of it), rolled back afterwards,
    so the original and its harmless variants can each be imported in one test."""
    seen = []
    try:
        with transaction.atomic():
            do_import(content, name)
            seen.append(describe())
            raise _Rollback
    except _Rollback:
        pass
    return seen[0]


def assert_harmless_changes_import_as_the_original(do_import, describe, content: bytes) -> None:
    expected = imported_as(do_import, describe, content, "original.dat")
    assert expected, "the original imported nothing"
    for label, data in mutations.harmless(content):
        assert imported_as(do_import, describe, data, f"{label}.dat") == expected, label
