"""Balance triggers that cost one check per entry and per statement, not one per line.

0002 checked every journal line at commit with a row trigger that summed its
whole entry: a bill run chunk of 2,000 bills paid ~14,000 PL/pgSQL calls and
index scans at commit. Now:

* ``ledger_lines_balanced`` — after every INSERT statement on journal lines,
  the entries it touched must balance (one set-based query over the
  statement's transition table). The lines of an entry are therefore written
  in one statement (``ledger.actions.post_entries`` does), and no later
  statement can add a line to an entry, balanced or not.
* ``ledger_entry_balanced`` — a deferred constraint trigger on journal
  entries: at commit, each entry written in the transaction has at least two
  lines and balances. An entry without lines cannot be committed either.
"""

from django.db import migrations

TRIGGERS = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalline;

CREATE OR REPLACE FUNCTION ledger_lines_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT l.entry_id, SUM(l.debit) AS d, SUM(l.credit) AS c INTO bad
    FROM ledger_journalline l
   WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM new_lines)
   GROUP BY l.entry_id
  HAVING SUM(l.debit) <> SUM(l.credit)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % is not balanced: debits % credits %', bad.entry_id, bad.d, bad.c
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_journalline
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_lines_balanced();

CREATE OR REPLACE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n integer; d numeric; c numeric;
BEGIN
  SELECT COUNT(*), COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0) INTO n, d, c
    FROM ledger_journalline WHERE entry_id = NEW.id;
  IF n < 2 OR d <> c THEN
    RAISE EXCEPTION 'journal entry % is not balanced: % lines, debits % credits %', NEW.id, n, d, c
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_lines_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_lines_balanced();
CREATE OR REPLACE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d numeric; c numeric;
BEGIN
  SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0) INTO d, c
    FROM ledger_journalline WHERE entry_id = NEW.entry_id;
  IF d <> c THEN
    RAISE EXCEPTION 'journal entry % is not balanced: debits % credits %', NEW.entry_id, d, c
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_chart_and_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
