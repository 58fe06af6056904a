"""Limits on uploaded files, checked before anything parses them.

Each kind of upload has a size limit and the types it accepts, recognised by their content
(the first bytes), never by the file's name. Spreadsheets are checked for decompression
bombs before a parser opens them: the total uncompressed size of an XLSX, the size of its
shared-strings part, and its compression ratio. Readers then stream rows (openpyxl's
read-only mode) and stop at the kind's row limit.

Limits can be changed in ``settings.GONGZHI["UPLOADS"]`` (a dict per kind, merged over the
defaults here).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import ApplicationError

MB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimit:
    max_bytes: int
    types: frozenset[str]
    max_rows: int = 0
    max_xlsx_uncompressed: int = 0
    max_shared_strings: int = 0
    max_ratio: int = 100


DOCUMENTS = frozenset({"pdf", "png", "jpeg", "docx", "xlsx"})
TABLES = frozenset({"csv", "xlsx"})

DEFAULTS: dict[str, UploadLimit] = {
    # A register of a large estate: 20,000 units fit in a few MB of CSV.
    "register": UploadLimit(
        20 * MB, TABLES, max_rows=300_000, max_xlsx_uncompressed=200 * MB, max_shared_strings=60 * MB
    ),
    "petitions": UploadLimit(
        10 * MB, TABLES, max_rows=100_000, max_xlsx_uncompressed=100 * MB, max_shared_strings=30 * MB
    ),
    "voucher": UploadLimit(10 * MB, DOCUMENTS),
    "attachment": UploadLimit(20 * MB, DOCUMENTS),
    "mandate": UploadLimit(10 * MB, frozenset({"pdf", "png", "jpeg"})),
    "evidence": UploadLimit(10 * MB, DOCUMENTS),
    "document": UploadLimit(20 * MB, DOCUMENTS),
}

LABELS = {
    "pdf": "PDF",
    "png": "PNG",
    "jpeg": "JPEG",
    "docx": "Word (.docx)",
    "xlsx": "Excel (.xlsx)",
    "csv": "CSV",
}


def limit_for(kind: str) -> UploadLimit:
    base = DEFAULTS[kind]
    override = getattr(settings, "GONGZHI", {}).get("UPLOADS", {}).get(kind)
    return replace(base, **override) if override else base


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        file.seek(0, 2)
        size = file.tell()
        file.seek(position)
    return size


def sniff(file) -> str:
    """Recognise a file's type from its first bytes: pdf, png, jpeg, xlsx, docx, zip, csv, or ''."""
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(4096)
    file.seek(position)
    if isinstance(head, str):
        head = head.encode()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return ""
        finally:
            file.seek(position)
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            return "docx"
        return "zip"
    if b"\x00" in head:
        return ""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            # The 4 KB cut may split a character: accept an error only in the last 3 bytes.
            try:
                head[:-3].decode(encoding)
            except UnicodeDecodeError:
                continue
        return "csv"
    return ""


def _check_xlsx(file, limit: UploadLimit) -> None:
    position = file.tell()
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
    finally:
        file.seek(position)
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    shared = sum(info.file_size for info in infos if info.filename.lower() == "xl/sharedstrings.xml")
    if (limit.max_xlsx_uncompressed and total > limit.max_xlsx_uncompressed) or (
        limit.max_shared_strings and shared > limit.max_shared_strings
    ):
        raise ApplicationError(
            _("该 Excel 文件解压后过大（%(size)s MB），请拆分后上传或另存为 CSV。") % {"size": total // MB},
            code="upload_too_large",
        )
    if total > 10 * MB and total // packed > limit.max_ratio:
        raise ApplicationError(
            _("该 Excel 文件的压缩比异常（%(ratio)s 倍），拒绝处理。") % {"ratio": total // packed},
            code="upload_suspicious",
        )


def check_upload(file, kind: str) -> str:
    """Refuse an upload that is too large or of a type ``kind`` does not accept; return its type.

    Nothing is parsed before this passes.
    """
    limit = limit_for(kind)
    size = _size(file)
    if size > limit.max_bytes:
        raise ApplicationError(
            _("文件过大（%(size).1f MB），此类文件不能超过 %(max)s MB。")
            % {"size": size / MB, "max": limit.max_bytes // MB},
            code="upload_too_large",
        )
    if size == 0:
        raise ApplicationError(_("文件是空的。"), code="upload_empty")
    kind_found = sniff(file)
    if kind_found not in limit.types:
        allowed = "、".join(LABELS[t] for t in sorted(limit.types))
        raise ApplicationError(
            _("文件类型不符：此处只接受 %(allowed)s 文件（按内容识别，不看文件名）。") % {"allowed": allowed},
            code="upload_type",
        )
    if kind_found == "xlsx":
        _check_xlsx(file, limit)
    return kind_found
