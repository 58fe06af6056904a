"""Bulk writes on PostgreSQL: ``COPY`` rows into a model's table, with ids taken from its own sequence.

For the few places where volume matters (freezing a roll of 100,000 units, generated benchmark data):
``COPY`` writes rows about four times faster than ``bulk_create``, and ids reserved up front let rows
point at each other without reading them back. Columns not given take the values the ORM would give
them (defaults, ``auto_now``). PostgreSQL only: callers keep an ORM path for other databases.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone


def reserve_ids(model, count: int) -> list[int]:
    """Take ``count`` ids from the table's sequence (safe beside concurrent inserts); return them in order."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _defaults(model, given: set[str]) -> tuple[list[str], list]:
    now = timezone.now()
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in given or (field.primary_key and "id" not in given):
            continue
        names.append(field.column)
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        values.append(field.get_db_prep_save(now if auto else field.get_default(), connection))
    return names, values


def copy_rows(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """``COPY`` ``rows`` (values of ``columns``: attribute names, ``id`` allowed) into the model's table."""
    extra_names, extra_values = _defaults(model, set(columns))
    names = [model._meta.get_field(c).column if c != "id" else "id" for c in columns] + extra_names
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    count = 0
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *extra_values))
            count += 1
    return count
