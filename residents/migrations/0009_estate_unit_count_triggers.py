"""Keep ``EstateUnitCount`` exact with triggers on the units' table, and count the units there now.

The triggers and the first count are one migration on purpose: the units' table is locked
against writes (``SHARE``) before the triggers exist and stays locked until the count is
taken and committed, so no unit can be written between the two and be missed or counted twice.

PostgreSQL: one trigger per statement with its transition table, so an import's ``COPY`` of
100,000 units moves the counts with one grouped statement, not 100,000. The rows of a
statement are netted per (estate, use) first: an update that re-files no unit (areas, numbers,
a save of every column) touches no count row, so ordinary writes never wait on one another
for it. Count rows are written in (estate, use) order, so two writers of several estates
take their locks in one order. SQLite (tests and development): one trigger per row.

SQLite rebuilds a table to alter it, which drops its triggers: a later migration that alters
``residents_propertyunit`` must create these again (``residents/tests/test_unit_counts.py``
fails on SQLite if they are missing).
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION residents_unit_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO residents_estateunitcount AS c (estate_id, use, units)
        SELECT estate_id, use, count(*) FROM units_new GROUP BY estate_id, use ORDER BY estate_id, use
        ON CONFLICT (estate_id, use) DO UPDATE SET units = c.units + EXCLUDED.units;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO residents_estateunitcount AS c (estate_id, use, units)
        SELECT estate_id, use, -count(*) FROM units_old GROUP BY estate_id, use ORDER BY estate_id, use
        ON CONFLICT (estate_id, use) DO UPDATE SET units = c.units + EXCLUDED.units;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO residents_estateunitcount AS c (estate_id, use, units)
        SELECT estate_id, use, sum(n) FROM (
            SELECT estate_id, use, 1 AS n FROM units_new
            UNION ALL
            SELECT estate_id, use, -1 AS n FROM units_old
        ) moved
        GROUP BY estate_id, use HAVING sum(n) <> 0 ORDER BY estate_id, use
        ON CONFLICT (estate_id, use) DO UPDATE SET units = c.units + EXCLUDED.units;
    ELSE  -- TRUNCATE
        UPDATE residents_estateunitcount SET units = 0 WHERE units <> 0;
    END IF;
    RETURN NULL;
END
$$;
"""

POSTGRESQL = [
    "LOCK TABLE residents_propertyunit IN SHARE MODE",
    FUNCTIONS,
    "CREATE TRIGGER residents_unit_counts_insert AFTER INSERT ON residents_propertyunit "
    "REFERENCING NEW TABLE AS units_new FOR EACH STATEMENT EXECUTE FUNCTION residents_unit_counts_move()",
    "CREATE TRIGGER residents_unit_counts_delete AFTER DELETE ON residents_propertyunit "
    "REFERENCING OLD TABLE AS units_old FOR EACH STATEMENT EXECUTE FUNCTION residents_unit_counts_move()",
    "CREATE TRIGGER residents_unit_counts_update AFTER UPDATE ON residents_propertyunit "
    "REFERENCING OLD TABLE AS units_old NEW TABLE AS units_new FOR EACH STATEMENT "
    "EXECUTE FUNCTION residents_unit_counts_move()",
    "CREATE TRIGGER residents_unit_counts_truncate AFTER TRUNCATE ON residents_propertyunit "
    "FOR EACH STATEMENT EXECUTE FUNCTION residents_unit_counts_move()",
]

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS residents_unit_counts_insert AFTER INSERT ON residents_propertyunit BEGIN "
    "INSERT INTO residents_estateunitcount (estate_id, use, units) VALUES (NEW.estate_id, NEW.use, 1) "
    "ON CONFLICT (estate_id, use) DO UPDATE SET units = units + 1; END",
    "CREATE TRIGGER IF NOT EXISTS residents_unit_counts_delete AFTER DELETE ON residents_propertyunit BEGIN "
    "INSERT INTO residents_estateunitcount (estate_id, use, units) VALUES (OLD.estate_id, OLD.use, -1) "
    "ON CONFLICT (estate_id, use) DO UPDATE SET units = units - 1; END",
    "CREATE TRIGGER IF NOT EXISTS residents_unit_counts_update AFTER UPDATE OF estate_id, use "
    "ON residents_propertyunit WHEN OLD.estate_id IS NOT NEW.estate_id OR OLD.use IS NOT NEW.use BEGIN "
    "INSERT INTO residents_estateunitcount (estate_id, use, units) VALUES (OLD.estate_id, OLD.use, -1) "
    "ON CONFLICT (estate_id, use) DO UPDATE SET units = units - 1; "
    "INSERT INTO residents_estateunitcount (estate_id, use, units) VALUES (NEW.estate_id, NEW.use, 1) "
    "ON CONFLICT (estate_id, use) DO UPDATE SET units = units + 1; END",
]

COUNT_NOW = (
    "INSERT INTO residents_estateunitcount (estate_id, use, units) "
    "SELECT estate_id, use, count(*) FROM residents_propertyunit GROUP BY estate_id, use"
)

TRIGGERS = ("insert", "delete", "update", "truncate")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = POSTGRESQL if vendor == "postgresql" else SQLITE if vendor == "sqlite" else None
    if statements is None:
        raise NotImplementedError(f"residents' unit counts need triggers written for {vendor}")
    for statement in [*statements, "DELETE FROM residents_estateunitcount", COUNT_NOW]:
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name in TRIGGERS:
        on = " ON residents_propertyunit" if postgresql else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS residents_unit_counts_{name}{on}", params=None)
    if postgresql:
        schema_editor.execute("DROP FUNCTION IF EXISTS residents_unit_counts_move()", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0008_estate_unit_count"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
