"""Multi-row INSERT ... RETURNING for the bill run's bulk writes.

Django's ``bulk_create`` builds a model instance and runs every field's
preparation per value; for the ~10 rows a bill writes that machinery costs
more than the database does. Here the caller gives plain tuples, each column
gets the backend's own adapter once (``connection.ops``), and one statement
per batch inserts the rows and returns their ids, on SQLite (3.35+) and
PostgreSQL alike. Constraints, defaults and triggers are the database's, as
with any INSERT."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

# SQLite is compiled with 32,766 host parameters since 3.32; PostgreSQL allows 65,535.
MAX_PARAMETERS = 30_000


def _adapter(field):
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda v: ops.adapt_json_value(v, field.encoder)
    return None


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> list[int]:
    """Insert ``rows`` (tuples in ``columns`` order; foreign keys by ``*_id``)
    and return the new primary keys in row order."""
    if not rows:
        return []
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[c] for c in columns]
    adapters = [(i, a) for i, a in ((i, _adapter(f)) for i, f in enumerate(fields)) if a is not None]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    per_batch = max(1, MAX_PARAMETERS // len(columns))
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start:start + per_batch]
            params: list = []
            for row in batch:
                if adapters:
                    row = list(row)
                    for i, adapt in adapters:
                        if row[i] is not None:
                            row[i] = adapt(row[i])
                params.extend(row)
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholder] * len(batch))} RETURNING {pk}"
            cursor.execute(sql, params)
            ids.extend(r[0] for r in cursor.fetchall())
    return ids
