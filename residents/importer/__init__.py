"""Bulk import of an estate's register from CSV (UTF-8 with or without BOM, or GB18030) or XLSX.

Two passes, memory flat however large the file:

- ``parsing``: the file streamed row by row (``csv``, or openpyxl in read-only mode), with the
  kind's row limit enforced as it streams;
- ``validation``: each row checked alone, good rows staged (``staging``, ID and phone numbers
  as encrypted tokens and keyed hashes), then one SQL pass checking the rows against each
  other; a file with any error imports nothing and yields a report naming each bad line;
- ``writing``: the register written in one transaction, in set-based SQL from the staged rows.

The services (``residents.services.register_import_submit``, ``register_import_run`` and
``register_import_file``) check the actor's right and the upload, then call these.
"""

from residents.importer.parsing import COLUMNS, OPTIONAL_COLUMNS, RegisterFileError, read_rows
from residents.importer.progress import JobProgress
from residents.importer.staging import discard
from residents.importer.validation import BATCH, MAX_REPORTED_ERRORS, Report, validate
from residents.importer.writing import write

__all__ = [
    "BATCH",
    "COLUMNS",
    "MAX_REPORTED_ERRORS",
    "OPTIONAL_COLUMNS",
    "JobProgress",
    "RegisterFileError",
    "Report",
    "discard",
    "read_rows",
    "validate",
    "write",
]
