"""Append-only records, enforced one way everywhere: a model guard and a database trigger.

Ballots, roll snapshots, results, voids, ledger entries, audit rows and oversight evidence
are written once. Corrections are new records (a void, a reversing entry). The model guard
refuses an update or delete through the ORM with a clear error; the trigger makes the
database refuse it too, whatever client writes, so a person with write access to the
database cannot quietly change history either.

A model may name columns that are allowed to change (``append_only_mutable``), such as a
ballot's ``voided`` flag, which a separate append-only void record justifies.

TRUNCATE is refused too, unless the connection has set ``gongzhi.allow_truncate`` to
``on``: the test runner does so to empty its throwaway database between tests, and a
restore from backup into a fresh database never needs it. SQLite has no TRUNCATE; there the
test runner empties tables with DELETE, which the trigger allows only while
``ALLOW_FLUSH`` is set in the process (the SQL function ``gongzhi_flush_allowed()``); any
other program opening the file lacks that function, so its DELETE fails too.
"""

from __future__ import annotations

from django.db import migrations, models

# Set only by the test runner, to empty its throwaway SQLite database between tests.
ALLOW_FLUSH = False


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """Give each SQLite connection the function its append-only triggers consult."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("gongzhi_flush_allowed", 0, lambda: 1 if ALLOW_FLUSH else 0)


class AppendOnlyError(Exception):
    """A write tried to change or remove an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset that refuses ``update`` (except of the model's mutable columns) and ``delete``."""

    def update(self, **kwargs):
        mutable = set(getattr(self.model, "append_only_mutable", ()))
        if not set(kwargs) <= mutable:
            raise AppendOnlyError(f"{self.model._meta.label} is append-only: update refused.")
        return super().update(**kwargs)

    update.queryset_only = True

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: delete refused.")

    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """Abstract base of append-only models: written once, never changed or deleted through the ORM."""

    append_only_mutable: tuple[str, ...] = ()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= set(self.append_only_mutable):
                raise AppendOnlyError(f"{self._meta.label} is append-only: update refused.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} is append-only: delete refused.")


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION gongzhi_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF coalesce(current_setting('gongzhi.allow_truncate', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' AND TG_NARGS > 0
        AND (to_jsonb(NEW) - TG_ARGV::text[]) = (to_jsonb(OLD) - TG_ARGV::text[]) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _pg_forward(table: str, mutable: tuple[str, ...]) -> list[str]:
    args = ", ".join(f"'{column}'" for column in mutable)
    return [
        _PG_FUNCTION,
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION gongzhi_append_only({args})",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION gongzhi_append_only()",
    ]


def _sqlite_forward(table: str, columns: list[str], mutable: tuple[str, ...]) -> list[str]:
    guarded = [c for c in columns if c not in mutable]
    raise_ = f"SELECT RAISE(ABORT, '{table} is append-only');"
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"WHEN gongzhi_flush_allowed() = 0 BEGIN {raise_} END",
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OF {', '.join(guarded)} ON {table} BEGIN {raise_} END",
    ]


def _backward(table: str, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_delete", f"DROP TRIGGER IF EXISTS {table}_no_update"]


def append_only(app_label: str, model_name: str, mutable: tuple[str, ...] = ()) -> migrations.RunPython:
    """A migration operation installing the append-only triggers on a model's table (PostgreSQL, SQLite)."""

    def forward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        table = model._meta.db_table
        connection = schema_editor.connection
        if connection.vendor == "postgresql":
            statements = _pg_forward(table, mutable)
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            statements = _sqlite_forward(table, columns, mutable)
        else:
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    def backward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        for sql in _backward(model._meta.db_table, schema_editor.connection.vendor):
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(forward, backward, elidable=False)
