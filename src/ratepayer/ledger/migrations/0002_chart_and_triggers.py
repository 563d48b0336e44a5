from django.db import migrations

from ratepayer.db.triggers import make_append_only
from ratepayer.ledger.chart import seed_chart

append_only_forwards, append_only_backwards = make_append_only("ledger_journalentry", "ledger_journalline")

BALANCE_TRIGGER = """
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
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalline;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
"""


def balance_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCE_TRIGGER, params=None)


def drop_balance_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalline;")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [
        migrations.RunPython(lambda apps, se: seed_chart(apps), migrations.RunPython.noop),
        migrations.RunPython(append_only_forwards, append_only_backwards),
        migrations.RunPython(balance_trigger, drop_balance_trigger),
    ]
