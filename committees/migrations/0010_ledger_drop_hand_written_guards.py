"""Drop the hand-written append-only triggers of 0002: ``0012`` installs the project's one kind instead.

The balance check of 0002/0005 stays. Between this migration and 0012 the ledger tables are
writable, so that 0011 can re-hash the chain; all three run in one ``migrate``.
"""

from django.db import migrations

DROP = """
DROP TRIGGER IF EXISTS committees_statement_append_only ON committees_statement;
DROP TRIGGER IF EXISTS committees_ledgerleg_append_only ON committees_ledgerleg;
DROP TRIGGER IF EXISTS committees_ledgertransaction_append_only ON committees_ledgertransaction;
DROP FUNCTION IF EXISTS committees_ledger_refuse_change();
"""

RESTORE = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("committees", "0009_statement_chain_head_project_life")]

    operations = [migrations.RunPython(forward, backward)]
