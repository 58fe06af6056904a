"""Cells of every CSV and XLSX the platform writes, made safe from formula injection.

A value that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
read by a spreadsheet program as a formula (``=HYPERLINK(...)``, ``=cmd|...``). Such text is
written with a leading apostrophe, so that it shows as the text it is. Numbers, dates and
decimals pass unchanged: only text typed by people can carry a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` as it may go into a CSV or XLSX cell: text that could be a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Return a row of cells, each passed through ``safe_cell``."""
    return [safe_cell(value) for value in values]
