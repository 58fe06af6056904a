"""PostgreSQL guards of the public-revenue ledger: balanced transactions, no UPDATE or DELETE.

The service refuses an unbalanced entry and the models refuse changes; these triggers make
the database itself refuse them too, whatever client writes. Other databases skip them.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION committees_ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'public-revenue ledger is append-only: % on % refused; post a reversing entry instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER committees_ledgertransaction_append_only
    BEFORE UPDATE OR DELETE ON committees_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION committees_ledger_refuse_change();
CREATE TRIGGER committees_ledgerleg_append_only
    BEFORE UPDATE OR DELETE ON committees_ledgerleg
    FOR EACH ROW EXECUTE FUNCTION committees_ledger_refuse_change();
CREATE TRIGGER committees_statement_append_only
    BEFORE UPDATE OR DELETE ON committees_statement
    FOR EACH ROW EXECUTE FUNCTION committees_ledger_refuse_change();

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

CREATE CONSTRAINT TRIGGER committees_ledgertransaction_balanced
    AFTER INSERT ON committees_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION committees_ledger_check_balanced();
CREATE CONSTRAINT TRIGGER committees_ledgerleg_balanced
    AFTER INSERT ON committees_ledgerleg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION committees_ledger_check_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS committees_ledgerleg_balanced ON committees_ledgerleg;
DROP TRIGGER IF EXISTS committees_ledgertransaction_balanced ON committees_ledgertransaction;
DROP FUNCTION IF EXISTS committees_ledger_check_balanced();
DROP TRIGGER IF EXISTS committees_statement_append_only ON committees_statement;
DROP TRIGGER IF EXISTS committees_ledgerleg_append_only ON committees_ledgerleg;
DROP TRIGGER IF EXISTS committees_ledgertransaction_append_only ON committees_ledgertransaction;
DROP FUNCTION IF EXISTS committees_ledger_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("committees", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
