"""Set-based inserts for the batch paths (bill runs, ledger postings, payment
files), and ``gc_paused`` for a batch. (The ``__among`` lookup the batch reads
use is in ``ratepayer.db.lookups``.)

Django's ``bulk_create`` builds a model instance per row and runs every
field's preparation per value; a multi-row ``INSERT ... VALUES (%s, ...)`` of
30,000 parameters then spends more time in psycopg's client-side query
parsing than the server spends inserting. Here the caller gives plain tuples
and each column is converted once per value only where the database needs it
(JSON, encrypted text, aware datetimes on SQLite):

* PostgreSQL: the ids are taken from the table's identity sequence in one
  query (``nextval`` over ``generate_series``), then every row is streamed with
  ``COPY ... FROM STDIN``: one statement, no SQL text per row. The COPY text is
  built a column at a time (``str`` of each value; text escaped), which costs
  less Python time than psycopg's ``write_row`` per row (the measurement is in
  docs/operator-guide/performance.md, "Why the code is shaped this way").
* SQLite: one prepared ``INSERT`` run by ``executemany`` inside a transaction.
  SQLite has one writer; once the first row is in, this transaction holds the
  write lock, so an AUTOINCREMENT table hands out consecutive rowids and the
  ids are the ``n`` ending at ``last_insert_rowid()``.

Constraints, defaults of the database and triggers apply as for any INSERT
(COPY fires row and statement triggers). Errors are Django's
(``IntegrityError``, ...), as from the ORM.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models, transaction

Converter = Callable[[object], object]


def _converter(field: models.Field) -> Converter | None:
    ops = connection.ops
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)  # as both backends' adapt_json_value
    if connection.vendor == "sqlite" and isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if not type(field).__module__.startswith("django."):
        # a field of our own (encrypted PII, ...): its own preparation, as the ORM would do
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _prepared(fields: Sequence[models.Field], rows: Sequence[tuple]) -> Sequence[tuple]:
    converters = [(i, c) for i, c in ((i, _converter(f)) for i, f in enumerate(fields)) if c is not None]
    if not converters:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, convert in converters:
            if values[i] is not None:
                values[i] = convert(values[i])
        out.append(values)
    return out


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], *,
                return_ids: bool = True) -> list[int]:
    """Insert ``rows`` (tuples in ``columns`` order; foreign keys as ``*_id``)
    and return the new primary keys in row order (``[]`` with
    ``return_ids=False``, which saves PostgreSQL the sequence query)."""
    if not rows:
        return []
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[c] for c in columns]
    values = _prepared(fields, rows)
    table = connection.ops.quote_name(meta.db_table)
    names = [connection.ops.quote_name(f.column) for f in fields]
    if connection.vendor == "postgresql":
        textual = [isinstance(f, (models.CharField, models.TextField, models.JSONField)) for f in fields]
        if any(isinstance(f, models.BinaryField) or f.get_internal_type() == "ArrayField" for f in fields):
            raise NotImplementedError(f"insert_rows({meta.label}): binary and array columns are not written as text")
        return _copy(table, meta.db_table, meta.pk.column, names, values, textual, return_ids)
    return _executemany(table, names, values, return_ids)


# COPY text format: a tab between fields, \N for NULL, backslash escapes in text
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _copy_text(columns: list[Sequence], textual: list[bool]) -> str:
    """Rows (given as columns) in COPY text format. ``str`` is PostgreSQL's
    input format for int, Decimal, date, aware datetime and bool ("True")."""
    out = []
    for values, is_text in zip(columns, textual, strict=True):
        if is_text:
            out.append([_NULL if v is None else str(v).translate(_COPY_ESCAPES) for v in values])
        else:
            out.append([_NULL if v is None else str(v) for v in values])
    return "\n".join(map("\t".join, zip(*out, strict=True))) + "\n"


def _copy(table: str, raw_table: str, pk_column: str, names: list[str], rows: Sequence, textual: list[bool],
          return_ids: bool) -> list[int]:
    columns = list(zip(*rows, strict=True))
    with connection.cursor() as cursor:
        ids: list[int] = []
        if return_ids:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [raw_table, pk_column, len(rows)])
            ids = sorted(r[0] for r in cursor.fetchall())
            names = [connection.ops.quote_name(pk_column), *names]
            columns, textual = [ids, *columns], [False, *textual]
        with connection.wrap_database_errors, cursor.cursor.copy(
                f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            copy.write(_copy_text(columns, textual))
    return ids


def _executemany(table: str, names: list[str], rows: Sequence, return_ids: bool) -> list[int]:
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
    if not connection.in_atomic_block:
        with transaction.atomic():
            return _executemany(table, names, rows, return_ids)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        if not return_ids:
            return []
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
    return list(range(last - len(rows) + 1, last + 1))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Cyclic garbage collection off for one batch (a bill-run chunk, a payment
    file, a bill PDF); usable as a decorator too.

    A batch keeps hundreds of thousands of container objects alive at once
    (rows, specs, parsed items). Each time enough of them survive a young
    collection, CPython runs a full collection over the whole heap, and again
    as the batch grows: a large share of a bill run or a lockbox import
    (docs/operator-guide/performance.md). Batches make few reference cycles; one
    young-generation collection at the end (where everything the batch
    allocated still is) frees them."""
    if not gc.isenabled():
        yield  # an enclosing batch already paused it
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)
