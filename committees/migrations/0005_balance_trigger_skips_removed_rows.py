"""The deferred balance check skips a transaction that no longer exists.

A row can only disappear with the append-only triggers switched off (a superuser in replica
mode); the hash chain check reports that, and the balance check has nothing left to check.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION committees_ledger_check_balanced() RETURNS trigger AS $$
DECLARE
    tx bigint;
    debits numeric;
    credits numeric;
    legs integer;
BEGIN
    IF TG_TABLE_NAME = 'committees_ledgerleg' THEN
        tx := NEW.transaction_id;
    ELSE
        tx := NEW.id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM committees_ledgertransaction WHERE id = tx) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*)
        INTO debits, credits, legs
        FROM committees_ledgerleg WHERE transaction_id = tx;
    IF legs < 2 OR debits <> credits THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: debits %, credits %, % legs', tx, debits, credits, legs
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("committees", "0004_beat_verify_ledgers")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
