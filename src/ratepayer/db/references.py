"""Foreign keys checked once per statement, for the tables batch paths append to.

PostgreSQL enforces a FOREIGN KEY with a row trigger: for every inserted row
and every key column, one lookup of the referenced row and a FOR KEY SHARE
lock on it, queued until commit when the key is deferred (Django's default).
A bill of two services writes about forty such references (bill, segments,
lines, journal entry and lines): a large share of a bill run goes to these
checks at commit (docs/operator-guide/performance.md), and two workers locking
the same few GL-account rows turn each lock into a shared multixact.

For the references named in a ``StatementReferences`` migration operation the
model's ForeignKey says ``db_constraint=False`` and the database keeps the
same rule with set-based triggers instead:

* After each INSERT or UPDATE statement on the referencing table (its new
  rows as a transition table), one anti-join finds a key that is not in the
  referenced table; it is refused with SQLSTATE 23503 (``foreign_key_violation``,
  an ``IntegrityError`` in Django) naming the table, the column and the value.
* After each DELETE statement on the referenced table, a deleted key that is
  still referenced is refused the same way.
* Concurrency without a row lock per key: a foreign key locks every referenced
  row (FOR KEY SHARE) so that no one deletes it before the inserter commits;
  for a payment file that is 90,000 tuple locks, each a heap write. Deletes
  of referenced rows are rare here (accounts, agreements and GL accounts are
  closed, not deleted), so the delete side pays instead: its trigger takes
  ``LOCK TABLE <referencing> IN SHARE MODE``, which waits until every
  transaction writing that table has finished, and only then looks for
  references, with a fresh snapshot that shows their rows. An insert that
  starts after that lock waits for the deleter, and then no longer sees the
  deleted key. That reasoning needs a fresh snapshot per statement, i.e.
  READ COMMITTED (Django's default and ours); under REPEATABLE READ or
  SERIALIZABLE the insert trigger locks the referenced rows FOR KEY SHARE as a
  foreign key does (a concurrent delete then fails to serialize), and a delete
  of a referenced table is refused.
* SQLite has row triggers only; there the same checks are row triggers, which
  cost little in-process. Their delete check yields to the
  ``ratepayer_maintenance`` row the test suite sets to flush tables (as the
  append-only triggers of ``ratepayer.db.triggers`` do).

Primary keys are never updated (Django does not), so an UPDATE of a
referenced key is not checked. ``tests/db/test_references.py`` proves both
refusals on both databases and that every ``db_constraint=False`` key of our
models has its triggers — a later migration that rebuilds a table on SQLite
drops the table's triggers, and that test says so.
"""

from __future__ import annotations

import hashlib

from django.db import migrations

from ratepayer.db.triggers import MAINTENANCE_TABLE, NOT_IN_MAINTENANCE

References = dict[str, str]  # referencing column -> referenced table (its "id")


def _name(*parts: str) -> str:
    name = "rpref_" + "_".join(parts)
    if len(name) <= 63:
        return name
    return name[:54] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def _postgresql(table: str, references: References) -> tuple[list[str], list[str]]:
    checks = []
    for column, referenced in references.items():
        checks.append(f"""
  IF NOT read_committed THEN
    PERFORM 1 FROM {referenced} r WHERE r.id IN (SELECT n.{column} FROM new_rows n) ORDER BY r.id FOR KEY SHARE OF r;
  END IF;
  SELECT n.{column}::text INTO missing FROM new_rows n
   WHERE n.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {referenced} r WHERE r.id = n.{column}) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "{table}" violates foreign key: {column} % is not in {referenced}',
      missing USING ERRCODE = 'foreign_key_violation';
  END IF;""")
    function = _name(table)
    forwards = [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text; read_committed boolean := current_setting('transaction_isolation') = 'read committed';
BEGIN{''.join(checks)}
  RETURN NULL;
END $$;""",
        f"DROP TRIGGER IF EXISTS {_name(table, 'insert')} ON {table};",
        f"""CREATE TRIGGER {_name(table, 'insert')} AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {function}();""",
        f"DROP TRIGGER IF EXISTS {_name(table, 'update')} ON {table};",
        f"""CREATE TRIGGER {_name(table, 'update')} AFTER UPDATE ON {table} REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {function}();""",
    ]
    backwards = [f"DROP TRIGGER IF EXISTS {_name(table, 'insert')} ON {table};",
                 f"DROP TRIGGER IF EXISTS {_name(table, 'update')} ON {table};"]
    for column, referenced in references.items():
        function = _name(table, column, "delete")
        forwards += [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE still text;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'delete from table "{referenced}" needs READ COMMITTED isolation (keys of {table} are checked per statement)'
      USING ERRCODE = 'serialization_failure';
  END IF;
  -- wait for every transaction writing {table}; the query below then sees their rows
  LOCK TABLE {table} IN SHARE MODE;
  SELECT o.id::text INTO still FROM old_rows o WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{column} = o.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'update or delete on table "{referenced}" violates foreign key: id % is still referenced from {table}.{column}',
      still USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;""",
            f"DROP TRIGGER IF EXISTS {function} ON {referenced};",
            f"""CREATE TRIGGER {function} AFTER DELETE ON {referenced} REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {function}();""",
        ]
        backwards += [f"DROP TRIGGER IF EXISTS {function} ON {referenced};", f"DROP FUNCTION IF EXISTS {function}();"]
    backwards.append(f"DROP FUNCTION IF EXISTS {_name(table)}();")
    return forwards, backwards


def _sqlite(table: str, references: References) -> tuple[list[str], list[str]]:
    forwards = [MAINTENANCE_TABLE]
    backwards = []
    for column, referenced in references.items():
        refused = f"'insert or update on table \"{table}\" violates foreign key: {column} is not in {referenced}'"
        for event, name in (("INSERT", "insert"), (f"UPDATE OF {column}", "update")):
            trigger = _name(table, column, name)
            forwards.append(
                f"""CREATE TRIGGER IF NOT EXISTS {trigger} BEFORE {event} ON {table}
                    WHEN NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {referenced} WHERE id = NEW.{column})
                    BEGIN SELECT RAISE(ABORT, {refused}); END;""")
            backwards.append(f"DROP TRIGGER IF EXISTS {trigger};")
        trigger = _name(table, column, "delete")
        still = f"'update or delete on table \"{referenced}\" violates foreign key: still referenced from {table}.{column}'"
        forwards.append(
            f"""CREATE TRIGGER IF NOT EXISTS {trigger} BEFORE DELETE ON {referenced}
                WHEN EXISTS (SELECT 1 FROM {table} WHERE {column} = OLD.id)
                 AND {NOT_IN_MAINTENANCE}
                BEGIN SELECT RAISE(ABORT, {still}); END;""")
        backwards.append(f"DROP TRIGGER IF EXISTS {trigger};")
    return forwards, backwards


def statement_sql(vendor: str, table: str, references: References) -> tuple[list[str], list[str]]:
    """(forwards, backwards) SQL for one referencing table on ``vendor``."""
    if vendor == "postgresql":
        return _postgresql(table, references)
    if vendor == "sqlite":
        return _sqlite(table, references)
    raise NotImplementedError(f"statement-checked foreign keys are not written for {vendor}")


def trigger_names(vendor: str, table: str, references: References) -> set[str]:
    """The triggers ``statement_sql`` creates (tests check that they exist)."""
    if vendor == "postgresql":
        names = {_name(table, "insert"), _name(table, "update")}
        return names | {_name(table, column, "delete") for column in references}
    return {_name(table, column, event) for column in references for event in ("insert", "update", "delete")}


class StatementReferences(migrations.RunPython):
    """Migration operation: check ``table``'s ``references`` with the triggers above.

    Put it after the AlterField operations that set ``db_constraint=False``
    (on SQLite those rebuild the table and drop its earlier triggers)."""

    def __init__(self, table: str, references: References):
        self.table, self.references = table, dict(references)

        def forwards(apps, schema_editor):
            for sql in statement_sql(schema_editor.connection.vendor, table, self.references)[0]:
                schema_editor.execute(sql, params=None)

        def backwards(apps, schema_editor):
            for sql in statement_sql(schema_editor.connection.vendor, table, self.references)[1]:
                schema_editor.execute(sql, params=None)

        super().__init__(forwards, backwards)

    def deconstruct(self):
        return self.__class__.__qualname__, [self.table, self.references], {}

    def describe(self):
        return f"Check {self.table}'s references per statement"
