"""Reading a register file: CSV (UTF-8 with or without BOM, or GB18030) or XLSX, streamed row by row.

Neither reader holds the sheet in memory: the standard ``csv`` reader over a text wrapper,
and openpyxl in read-only mode (the file itself is checked for size, type and XLSX bombs by
``core.uploads.check_upload`` before it gets here). The kind's row limit is enforced while
the rows stream by, so an oversized file stops at the first line over the limit.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import load_workbook

COLUMNS = (
    "building",
    "stairway",
    "room",
    "use",
    "area",
    "area_source",
    "delivered",
    "owner_name",
    "owner_id_number",
    "owner_phone",
    "is_developer",
    "share",
)
OPTIONAL_COLUMNS = ("stairway", "owner_phone", "share")


class RegisterFileError(Exception):
    """The file cannot be read on (not CSV or XLSX, no header, too many rows); ``line`` says where."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def _is_xlsx(head: bytes, name: str) -> bool:
    return head.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm"))


def _detect_encoding(fh) -> str:
    """UTF-8 (a BOM is dropped) if the whole file decodes as UTF-8, else GB18030."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    fh.seek(0)
    try:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    fh.seek(0)
    return encoding


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # openpyxl gives numbers as floats; repr keeps what the sheet showed (89.5, not 89.5000001).
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value).strip()


def _xlsx_rows(fh) -> Iterator:
    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged file
        raise RegisterFileError(_("无法读取 XLSX 文件：%s") % exc) from exc
    return ((_cell(c) for c in r) for r in workbook.active.iter_rows(values_only=True))


def _csv_rows(fh) -> Iterator:
    text = io.TextIOWrapper(fh, encoding=_detect_encoding(fh), newline="")
    return ((c.strip() for c in r) for r in csv.reader(text))


def read_rows(fh, name: str = "", *, max_rows: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each data row of a binary file handle; the header is line 1.

    With ``max_rows``, a file with more data rows stops with a ``RegisterFileError`` naming the
    first line over the limit, before that line is read any further.
    """
    head = fh.read(4)
    fh.seek(0)
    rows = _xlsx_rows(fh) if _is_xlsx(head, name) else _csv_rows(fh)
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        raise RegisterFileError(_("文件是空的。")) from None
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL_COLUMNS]
    if missing:
        raise RegisterFileError(
            _("第 1 行表头缺少这些列：%(missing)s。表头应为：%(columns)s")
            % {"missing": ", ".join(missing), "columns": ",".join(COLUMNS)}
        )
    index = [(c, header.index(c)) for c in COLUMNS if c in header]
    width = len(header)
    data_rows = 0
    for line, values in enumerate(rows, start=2):
        values = list(values)
        if not any(values):
            continue
        data_rows += 1
        if max_rows and data_rows > max_rows:
            raise RegisterFileError(
                _("文件超过了每次最多 %(max)s 行数据的上限，请拆分成几个文件后分别导入。") % {"max": max_rows}, line
            )
        values += [""] * (width - len(values))
        yield line, {c: values[i] for c, i in index}
