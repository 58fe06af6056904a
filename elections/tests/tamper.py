"""Write to the database as a person with direct write access would: around the services and the triggers."""

from __future__ import annotations

import contextlib

from django.db import connection, transaction


@contextlib.contextmanager
def behind_the_platforms_back(*tables: str):
    """Run the block with the append-only triggers of ``tables`` out of the way, as a superuser could.

    PostgreSQL: the session stops firing triggers (``session_replication_role = replica``),
    for this transaction only. SQLite has no such switch: the tables' triggers are dropped and
    created again afterwards, exactly as they were.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            yield
            cursor.execute("SET LOCAL session_replication_role = origin")
            return
        triggers = []
        for table in tables:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            triggers += cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            yield
        finally:
            for _name, sql in triggers:
                cursor.execute(sql)
