"""Register uploads are checked before anything parses them (issue 10 item 5): size, content type, bombs, rows."""

import io
import struct
import time
import zlib

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from core.errors import ApplicationError
from governance.models import AuditEvent
from governance.scoping import SYSTEM
from residents import services
from residents.importer import parsing
from residents.models import ImportJob, PropertyUnit

from .factories import HEADER, person_id, register_csv, register_row

MB = 1024 * 1024


def _zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip archive of ``(name, stored bytes, crc, uncompressed size, method)`` entries, written by hand.

    Written by hand so that an entry can carry a raw deflate stream built without ever
    holding its (huge) uncompressed content.
    """
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size, method in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0))
        out.write(encoded + data)
        header = (0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", *header) + encoded)
    directory = central.getvalue()
    out.write(directory)
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), out.tell() - len(directory), 0
        )
    )
    return out.getvalue()


def _stored(name: str, text: str) -> tuple[str, bytes, int, int, int]:
    data = text.encode()
    return name, data, zlib.crc32(data), len(data), 0


def shared_strings_bomb(megabytes: int = 300) -> bytes:
    """A small XLSX whose ``xl/sharedStrings.xml`` expands to ``megabytes`` MB (about 700 KB on disk).

    The deflate stream is one compressed megabyte repeated: after a full flush the
    compressor starts afresh, so each repetition compresses to the same bytes.
    """
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    chunk = (b"<si><t>" + b"A" * 1000 + b"</t></si>") * (MB // 1009)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    piece = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(b"</sst>") + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(b"</sst>", crc)
    size = len(head) + len(chunk) * megabytes + len(b"</sst>")
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return _zip(
        [
            _stored("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
            _stored("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns}><sheets/></workbook>'),
            _stored("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {ns}><sheetData/></worksheet>'),
            ("xl/sharedStrings.xml", first + piece * megabytes + tail, crc, size, 8),
        ]
    )


@pytest.fixture
def no_parsing(monkeypatch):
    """Fail the test if anything opens the upload as a workbook or a CSV."""

    def refuse(*args, **kwargs):
        raise AssertionError("the upload was parsed before it was checked")

    monkeypatch.setattr(parsing, "load_workbook", refuse)
    monkeypatch.setattr(parsing, "_csv_rows", refuse)


def _post(api, user, estate, content: bytes, name: str):
    upload = io.BytesIO(content)
    upload.name = name
    return api.as_user(user).post(
        "/api/v1/register-imports/", {"estate": estate.pk, "file": upload}, format="multipart"
    )


def test_a_shared_strings_bomb_is_refused_before_parsing_with_a_clear_message(api, cast, estate, no_parsing):
    bomb = shared_strings_bomb()
    assert len(bomb) < MB
    events = AuditEvent.objects.count()
    started = time.monotonic()
    response = _post(api, cast["secretary_a"], estate, bomb, "register.xlsx")
    assert time.monotonic() - started < 5
    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("upload_too_large", "upload_suspicious")
    assert "Excel" in response.json()["detail"]
    assert not ImportJob.objects.exists() and AuditEvent.objects.count() == events


def test_a_shared_strings_bomb_is_refused_by_the_command(estate, tmp_path, no_parsing):
    path = tmp_path / "register.xlsx"
    path.write_bytes(shared_strings_bomb())
    with pytest.raises(CommandError, match="Excel"):
        call_command("import_register", str(estate.pk), str(path))
    assert not PropertyUnit.objects.exists()


@pytest.fixture
def csv_of_50_mb(tmp_path):
    """A 50 MB register CSV: a real header and row, then a sparse hole (nothing big is written to disk)."""
    path = tmp_path / "register.csv"
    with open(path, "wb") as fh:
        fh.write(register_csv([register_row()]).getvalue())
        fh.truncate(50 * MB)
    return path


def test_a_50_mb_csv_is_refused_by_size(estate, cast, csv_of_50_mb, no_parsing):
    events = AuditEvent.objects.count()
    with open(csv_of_50_mb, "rb") as fh, pytest.raises(ApplicationError) as exc:
        services.register_import_submit(estate=estate, file=File(fh, name="register.csv"), actor=cast["secretary_a"])
    assert exc.value.code == "upload_too_large" and "MB" in exc.value.message
    assert not ImportJob.objects.exists() and AuditEvent.objects.count() == events


def test_a_50_mb_csv_is_refused_by_the_command(estate, csv_of_50_mb, no_parsing):
    with pytest.raises(CommandError, match="MB"):
        call_command("import_register", str(estate.pk), str(csv_of_50_mb))


def test_a_pdf_renamed_csv_is_refused_by_its_content(api, cast, estate, no_parsing):
    response = _post(api, cast["secretary_a"], estate, b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n", "register.csv")
    assert response.status_code == 400 and response.json()["code"] == "upload_type"
    assert not ImportJob.objects.exists()


def test_the_import_page_shows_why_an_upload_is_refused(client, cast, estate):
    client.force_login(cast["secretary_a"])
    upload = ContentFile(b"%PDF-1.7\n%%EOF\n", name="register.csv")
    response = client.post("/register/imports/", {"estate": estate.pk, "file": upload})
    assert response.status_code == 400 and "文件类型不符" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_admin_shows_why_an_upload_is_refused_and_creates_no_job(client, cast, estate):
    client.force_login(cast["admin"])
    upload = ContentFile(b"%PDF-1.7\n%%EOF\n", name="register.csv")
    response = client.post(
        "/admin/residents/importjob/add/", {"estate": estate.pk, "file": upload, "on": ""}, follow=True
    )
    assert response.status_code == 200 and "文件类型不符" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_row_limit_is_a_line_error_found_while_streaming_and_nothing_is_written(estate, settings):
    settings.GONGZHI = {**settings.GONGZHI, "UPLOADS": {"register": {"max_rows": 3}}}
    rows = [register_row(room=str(101 + i), n=i) for i in range(5)]
    report, summary = services.register_import_file(estate=estate, file=register_csv(rows), name="r.csv", actor=SYSTEM)
    assert summary == {} and report.error_count == 1
    assert report.errors[0]["line"] == 5 and "3" in report.errors[0]["message"]
    assert not PropertyUnit.objects.exists()


def test_xlsx_is_read_in_read_only_streaming_mode(estate, monkeypatch):
    seen = {}
    real = parsing.load_workbook

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(parsing, "load_workbook", spy)
    workbook = Workbook()
    workbook.active.append(HEADER.split(","))
    workbook.active.append(
        ["1栋", 1, 101, "residential", 89.5, "registered", "yes", "张三", person_id(1), "", "no", None]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    report, _summary = services.register_import_file(estate=estate, file=buffer, name="r.xlsx", actor=SYSTEM)
    assert report.ok and seen.get("read_only") is True
