"""The staging table of an import (``ImportRow``): checked rows wait there between validation and the write.

Staging keeps the import's memory flat however large the file: the checks across rows and
the write read the rows back in the database. ID and phone numbers are staged only as
encrypted tokens and keyed hashes.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from residents.models import ImportRow

STAGED_COLUMNS = [
    "batch", "line", "building_id", "stairway", "room", "use", "area", "area_source", "delivered",
    "owner_kind", "owner_name", "owner_hash", "owner_code", "id_token", "phone_token", "phone_hash",
    "is_developer", "share",
]  # fmt: skip


def batch_param(batch):
    """A batch id as the database compares it: SQLite keeps UUIDs as 32 hex characters, PostgreSQL as uuid."""
    return batch if connection.vendor == "postgresql" else batch.hex


def binary(column: str) -> str:
    """``column`` compared byte by byte: sorting a file's keys by the database's collation costs several times more.

    Only where rows are grouped (``PARTITION BY``), never ordered for a reader: equal under one
    deterministic collation is equal under the other, so the groups are the same. SQLite compares
    bytes already.
    """
    return f'{column} COLLATE "C"' if connection.vendor == "postgresql" else column


def unit_key() -> str:
    """A staged row's unit, to group rows by (``binary``)."""
    return f"building_id, {binary('stairway')}, {binary('room')}"


def discard(batch) -> None:
    """Delete the staged rows of ``batch``."""
    if batch is not None:
        ImportRow.objects.filter(batch=batch).delete()


def column_defaults(model, columns) -> tuple[list[str], tuple]:
    """The columns of ``model`` not among ``columns`` (nor its id), and their default values for the database."""
    meta = model._meta
    given = {meta.get_field(c) for c in columns}
    now = timezone.now()
    names, values = [], []
    for f in meta.concrete_fields:
        if f.primary_key or f in given:
            continue
        names.append(f.column)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append(f.get_db_prep_save(now, connection))
        else:
            values.append(f.get_db_prep_save(f.get_default(), connection))
    return names, tuple(values)


@contextmanager
def whole_file_sorts(cursor):
    """A transaction in which one statement may sort or hash a whole file's rows in memory, on PostgreSQL.

    ``work_mem`` at 64 MB (the default 4 MB sent the checks' sorts of 100,000 rows to disk) and
    no JIT (compiling these few large statements costs more than it saves); both restored at the
    end, for an enclosing transaction's later queries.
    """
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        before = cursor.fetchone()
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        yield
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", before)


@contextmanager
def stager():
    """Yield a function that stages lists of rows (``STAGED_COLUMNS``) as the file streams by.

    On PostgreSQL one ``COPY`` stays open for the whole file: the database stores each batch
    while the next one is checked and encrypted. Elsewhere ``bulk_create`` per batch.
    """
    if connection.vendor != "postgresql":
        yield lambda rows: ImportRow.objects.bulk_create(
            [ImportRow(**dict(zip(STAGED_COLUMNS, row, strict=True))) for row in rows], batch_size=1000
        )
        return
    extra_columns, extra = column_defaults(ImportRow, STAGED_COLUMNS)
    names = ", ".join(connection.ops.quote_name(c) for c in [*STAGED_COLUMNS, *extra_columns])
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY residents_importrow ({names}) FROM STDIN") as copy:

        def stage(rows):
            for row in rows:
                copy.write_row((*row, *extra))

        yield stage
