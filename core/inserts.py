"""Several rows written in one statement: one round trip where a lock is held (issue 13).

``insert_together`` renders each model instance's ``INSERT`` with Django's own compiler (so the
fields' conversions, defaults and ``auto_now_add`` apply as in ``save``) and sends them as the
data-modifying ``WITH`` clauses of one PostgreSQL statement, optionally ending in a statement of
the caller's (an ``UPDATE``). Every clause runs, in one snapshot; a constraint failure of any row
fails the whole statement, and the caller's transaction with it. Elsewhere (SQLite) the rows are
saved one after the other, then the statement runs: the same result, more round trips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import connections
from django.db.models import Model
from django.db.models.sql import InsertQuery

# The ``INSERT`` text per model, columns and database, once compiled: only the values change between
# calls (the compiler's text took a third of a millisecond per row, under the vote's lock for a ballot).
_TEXTS: dict[tuple, str] = {}


def _fields(obj: Model, keep_pk: bool = False) -> list:
    return [f for f in type(obj)._meta.local_concrete_fields if not (f.primary_key and obj.pk is None and not keep_pk)]


def _insert_sql(obj: Model, connection, fields: list | None = None) -> tuple[str, list]:
    model = type(obj)
    fields = _fields(obj) if fields is None else fields
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    key = (model, tuple(f.attname for f in fields), connection.alias)
    text = _TEXTS.get(key)
    if text is not None:
        # The values as ``as_sql`` prepares them (defaults, ``auto_now_add``, each field's conversion).
        values = [compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for f in fields]
        if not any(hasattr(v, "as_sql") for v in values):
            return text, values
    ((sql, params),) = compiler.as_sql()
    # Plain placeholders only: a field with its own placeholder, or a value that is an expression, is compiled
    # every time.
    if not any(hasattr(f, "get_placeholder") for f in fields) and sql.count("%s") == len(fields):
        _TEXTS[key] = sql
    return sql, list(params)


def insert_select(
    obj: Model, source: str, exprs: Mapping[str, str] | None = None, *, using: str = "default"
) -> tuple[str, list]:
    """``obj``'s ``INSERT`` as ``INSERT … SELECT … FROM source``, as ``(sql, params)``: one row for each row of
    ``source`` (a name the statement defines, e.g. a ``WITH`` clause), none when it has none.

    ``exprs`` gives some columns (by attname; the primary key too) an SQL expression over ``source`` in place of
    the instance's value; ``{value}`` in an expression stands for that value (``"{value} || src.extra"``).
    """
    exprs = exprs or {}
    connection = connections[using]
    pk = type(obj)._meta.pk.attname
    fields = _fields(obj, keep_pk=pk in exprs)
    sql, values = _insert_sql(obj, connection, fields)
    head, sep, tail = sql.partition(" VALUES (")
    if not sep or tail != ", ".join(["%s"] * len(fields)) + ")":
        raise ValueError(f"cannot turn this INSERT into INSERT … SELECT: {sql}")
    columns, params = [], []
    for field, value in zip(fields, values, strict=True):
        expr = exprs.get(field.attname)
        if expr is None:
            columns.append("%s")
            params.append(value)
        else:
            columns.append(expr.replace("{value}", "%s"))
            params.extend([value] * expr.count("{value}"))
    return f"{head} SELECT {', '.join(columns)} FROM {source}", params


def insert_together(
    objects: Sequence[Model], *, then: tuple[str, Sequence] | None = None, using: str = "default"
) -> None:
    """Insert ``objects`` (unsaved instances; a row another one points at must carry its primary key)
    and run ``then`` (``(sql, params)``), in one statement on PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        for obj in objects:
            obj.save(force_insert=True, using=using)
        if then is not None:
            with connection.cursor() as cursor:
                cursor.execute(then[0], list(then[1]))
        return
    clauses, params = [], []
    for n, obj in enumerate(objects):
        sql, values = _insert_sql(obj, connection)
        clauses.append(f"w{n} AS ({sql})")
        params.extend(values)
    last_sql, last_params = then if then is not None else ("SELECT 1", ())
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(clauses)} {last_sql}", [*params, *last_params])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = using
