"""An import job's progress, written where the page polling it can see it while the import still runs."""

from __future__ import annotations

from django.db import connection, connections

from residents.models import ImportJob


class JobProgress:
    """Write a job's progress where another connection can see it, even from inside the import's transaction.

    On PostgreSQL through a second connection (the import's own is busy with its ``COPY`` and
    its transaction); elsewhere on the same connection, outside a transaction.
    """

    def __init__(self, job: ImportJob):
        self.job = job
        self.side = connections.create_connection("default") if connection.vendor == "postgresql" else None

    def set(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.job, name, value)
        if self.side is not None:
            sets = ", ".join(f"{name} = %s" for name in fields)
            with self.side.cursor() as cursor:
                cursor.execute(f"UPDATE residents_importjob SET {sets} WHERE id = %s", [*fields.values(), self.job.pk])
        elif not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job.pk).update(**fields)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
