"""The balance trigger adds up the statement's own rows instead of re-reading each entry.

0003's ``ledger_lines_balanced`` summed, for every entry a statement touched,
all of that entry's lines in the table: one index probe per entry, the lines
just written read back. Every committed entry balances (this trigger is what
guarantees it), so an entry that balanced before the statement balances after
it exactly when the statement's own lines for it balance. The check is now a
hash aggregate over the transition table: each entry the statement touched
gets two or more lines from it, and those lines balance. (Two or more from the
same statement is stricter than 0003's two or more in all, and is what
``post_entries`` always writes.)
"""

from importlib import import_module

from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION ledger_lines_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT l.entry_id, COUNT(*) AS n, SUM(l.debit) AS d, SUM(l.credit) AS c INTO bad
    FROM new_lines l
   GROUP BY l.entry_id
  HAVING SUM(l.debit) <> SUM(l.credit) OR COUNT(*) < 2
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % is not balanced: % lines, debits % credits %', bad.entry_id, bad.n, bad.d, bad.c
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(import_module("ratepayer.ledger.migrations.0003_set_based_balance_triggers").TRIGGERS,
                              params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_statement_references")]
    operations = [migrations.RunPython(forwards, backwards)]
