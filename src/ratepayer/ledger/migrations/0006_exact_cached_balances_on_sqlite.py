"""Cached AR balances written before balances moved in whole cents on SQLite
may hold a float's remainder (5.55e-17, read back as "-0.00"): round each to
the float nearest its 2-place amount. PostgreSQL's NUMERIC is exact already."""

from django.db import migrations


def round_to_cents(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("UPDATE ledger_arbalance SET balance = CAST(ROUND(balance * 100) AS INTEGER) / 100.0")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_balance_from_the_statement_rows")]
    operations = [migrations.RunPython(round_to_cents, migrations.RunPython.noop)]
