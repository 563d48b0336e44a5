"""Emptying the configured database for a fresh demo (`ratepayer demo --reset`).

Journal and audit tables are append-only (ratepayer.db.triggers), so rows cannot
simply be deleted; and a flush would also drop the rows data migrations seed
(roles, chart of accounts, adjustment reasons). So the database is recreated
instead: on SQLite the file is deleted, on PostgreSQL every table of the
current schema is dropped; then all migrations run, exactly as on a fresh
installation.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.db import DatabaseError, connection

from .errors import DemoError


def accounts_not_built_by_demo() -> int:
    """Accounts in a database the demo did not build (0 if there are none,
    or the tables do not exist yet)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM customers_account")
            accounts = cursor.fetchone()[0]
            if not accounts:
                return 0
            cursor.execute("SELECT COUNT(*) FROM staff_auditevent WHERE action = 'demo.built'")
            return 0 if cursor.fetchone()[0] else accounts
    except DatabaseError:
        return 0


def empty_database(*, migrate: bool = True) -> str:
    """Recreate the configured database; returns a description of it.

    Refuses a database that holds accounts the demo did not build, so a
    mistyped RATEPAYER_DATABASE_URL cannot wipe a utility's customers."""
    foreign = accounts_not_built_by_demo()
    if foreign:
        raise DemoError(f"the configured database holds {foreign} accounts that the demo did not build: "
                        "refusing to empty it (point RATEPAYER_DATABASE_URL at a demo database)")
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise DemoError(f"cannot reset the in-memory SQLite database {name!r}")
        connection.close()
        path = Path(name)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        where = f"SQLite file {path}"
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = [row[0] for row in cursor.fetchall()]
            if tables:
                quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
                cursor.execute(f"DROP TABLE IF EXISTS {quoted} CASCADE")
        where = f"PostgreSQL database {settings['NAME']} on {settings.get('HOST') or 'localhost'}"
    else:
        raise DemoError(f"--reset supports SQLite and PostgreSQL, not {connection.vendor}")
    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    return where
