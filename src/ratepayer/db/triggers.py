"""Database triggers that make tables append-only, on SQLite and PostgreSQL.

Used from migrations (RunPython) so the same rule holds whatever code (or
person with a SQL prompt) touches the table. A tamperer who drops the trigger
is caught by `ratepayer ledger check`, which recomputes everything.
"""

from __future__ import annotations

# SQLite delete triggers yield only while this table holds a row with allow_delete = 1
MAINTENANCE_TABLE = "CREATE TABLE IF NOT EXISTS ratepayer_maintenance (allow_delete integer NOT NULL)"
NOT_IN_MAINTENANCE = "NOT EXISTS (SELECT 1 FROM ratepayer_maintenance WHERE allow_delete = 1)"


def append_only_sql(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        # The delete trigger yields only to a row in ratepayer_maintenance, a
        # table no Django model owns: the test suite sets it so Django can
        # flush between tests (PostgreSQL flushes with TRUNCATE, which fires no
        # row trigger).
        return [
            MAINTENANCE_TABLE,
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END;""",
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
                WHEN {NOT_IN_MAINTENANCE}
                BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END;""",
        ]
    if vendor == "postgresql":
        return [
            """CREATE OR REPLACE FUNCTION ratepayer_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME; END; $$;""",
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION ratepayer_append_only();""",
        ]
    return []


def drop_append_only_sql(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update;", f"DROP TRIGGER IF EXISTS {table}_no_delete;"]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"]
    return []


def make_append_only(*tables: str):
    """A (forwards, backwards) pair for migrations.RunPython."""

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for table in tables:
            for sql in append_only_sql(vendor, table):
                schema_editor.execute(sql, params=None)

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for table in tables:
            for sql in drop_append_only_sql(vendor, table):
                schema_editor.execute(sql, params=None)

    return forwards, backwards
