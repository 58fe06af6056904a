"""Ballots, the frozen roll, voids, refusals, results, chain links and published heads: append-only in the database.

Only a ballot's ``voided`` flag may change, once, and only when its void record exists.
"""

from django.db import migrations, models

from core.appendonly import append_only

PG_VOID_RECORD = """
CREATE OR REPLACE FUNCTION elections_ballot_void_needs_record() RETURNS trigger AS $$
BEGIN
    IF NEW.voided IS DISTINCT FROM OLD.voided THEN
        IF OLD.voided OR NOT EXISTS (SELECT 1 FROM elections_ballotvoid WHERE ballot_id = NEW.id) THEN
            RAISE EXCEPTION 'elections_ballot: voided changes once, and only with its void record'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS elections_ballot_void_record ON elections_ballot;
CREATE TRIGGER elections_ballot_void_record BEFORE UPDATE OF voided ON elections_ballot
    FOR EACH ROW EXECUTE FUNCTION elections_ballot_void_needs_record();
"""

SQLITE_VOID_RECORD = [
    "DROP TRIGGER IF EXISTS elections_ballot_void_record",
    "CREATE TRIGGER elections_ballot_void_record BEFORE UPDATE OF voided ON elections_ballot "
    "WHEN NEW.voided <> OLD.voided AND (OLD.voided = 1 OR NOT EXISTS "
    "(SELECT 1 FROM elections_ballotvoid WHERE ballot_id = NEW.id)) "
    "BEGIN SELECT RAISE(ABORT, 'elections_ballot: voided changes once, and only with its void record'); END",
]


def void_needs_record(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [PG_VOID_RECORD] if vendor == "postgresql" else SQLITE_VOID_RECORD if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql, params=None)


def drop_void_needs_record(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS elections_ballot_void_record ON elections_ballot", params=None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS elections_ballot_void_record", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0005_fill_ballot_area"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ballot",
            name="area_cents",
            field=models.BigIntegerField(),
        ),
        append_only("elections", "Ballot", mutable=("voided",)),
        append_only("elections", "BallotVoid"),
        append_only("elections", "RefusedBallot"),
        append_only("elections", "VoteResult"),
        append_only("elections", "RollEntry"),
        append_only("elections", "RollUnit"),
        append_only("elections", "RollOwner"),
        append_only("elections", "ChainLink"),
        append_only("elections", "PublishedHead"),
        migrations.RunPython(void_needs_record, drop_void_needs_record, elidable=False),
    ]
