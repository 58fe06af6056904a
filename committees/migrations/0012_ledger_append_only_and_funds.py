"""Guard the public money one way: the project's append-only triggers and a deferred funds check.

- ``core.appendonly.append_only`` on ledger entries, legs, published statements and spending
  approvals: UPDATE and DELETE refused (PostgreSQL and SQLite), TRUNCATE refused (PostgreSQL);
- on PostgreSQL, a deferred constraint trigger (like the balance check of 0002) refuses a leg
  that leaves an account holding money (kind ``asset``: bank, cash, a fund) below zero at the
  end of its entry's day or of any later day with entries, whatever client writes.
"""

from django.db import migrations

from core.appendonly import append_only

FUNDS = """
CREATE OR REPLACE FUNCTION committees_ledger_check_funds() RETURNS trigger AS $$
DECLARE
    account_kind text;
    entry_date date;
    lowest numeric;
    lowest_day date;
BEGIN
    SELECT kind INTO account_kind FROM committees_account WHERE id = NEW.account_id;
    IF account_kind IS DISTINCT FROM 'asset' THEN
        RETURN NULL;
    END IF;
    SELECT date INTO entry_date FROM committees_ledgertransaction WHERE id = NEW.transaction_id;
    IF entry_date IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT balance, day INTO lowest, lowest_day FROM (
        SELECT t.date AS day, sum(sum(l.debit - l.credit)) OVER (ORDER BY t.date) AS balance
        FROM committees_ledgerleg l JOIN committees_ledgertransaction t ON t.id = l.transaction_id
        WHERE l.account_id = NEW.account_id
        GROUP BY t.date
    ) balances
    WHERE day >= entry_date
    ORDER BY balance, day
    LIMIT 1;
    IF lowest < 0 THEN
        RAISE EXCEPTION 'ledger account % would go negative: % on %', NEW.account_id, lowest, lowest_day
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS committees_ledgerleg_funds ON committees_ledgerleg;
CREATE CONSTRAINT TRIGGER committees_ledgerleg_funds
    AFTER INSERT ON committees_ledgerleg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.credit > 0)
    EXECUTE FUNCTION committees_ledger_check_funds();
"""

DROP_FUNDS = """
DROP TRIGGER IF EXISTS committees_ledgerleg_funds ON committees_ledgerleg;
DROP FUNCTION IF EXISTS committees_ledger_check_funds();
"""


def funds_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNDS, params=None)


def funds_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("committees", "0011_ledger_rehash_canonical")]

    operations = [
        append_only("committees", "LedgerTransaction"),
        append_only("committees", "LedgerLeg"),
        append_only("committees", "Statement"),
        append_only("committees", "SpendingApproval"),
        migrations.RunPython(funds_forward, funds_backward),
    ]
