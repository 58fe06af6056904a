"""The shared plumbing every app relies on: percentages, canonical hashes, safe cells, upload limits."""

import datetime
import hashlib
import io
import zipfile
from decimal import Decimal

import pytest

from core.errors import ApplicationError
from core.hashing import GENESIS, canonical, chain_digest, chain_digest_parts, digest
from core.numbers import percent
from core.spreadsheets import safe_cell, safe_row
from core.uploads import check_upload, sniff

# Percentages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 3, "33.33"), (2, 3, "66.67"), (1, 8, "12.50"), (0, 7, "0.00"), (5, 0, "0.00"), (148, 1000, "14.80")],
)
def test_percent_rounds_half_up_in_integers(part, whole, expected):
    assert percent(part, whole) == expected


def test_percent_rounds_exactly_where_a_float_would_not():
    # 0.145 as a float is 0.14499999...; the integer form rounds the true half up.
    assert percent(145, 100000, places=2) == "0.15"


# Canonical hashing ------------------------------------------------------------------------------


def test_canonical_form_sorts_keys_and_writes_decimals_as_text():
    assert canonical({"b": Decimal("1.50"), "a": "业主"}) == '{"a":"业主","b":"1.50"}'.encode()


def test_canonical_form_writes_aware_datetimes_in_utc_with_microseconds():
    moment = datetime.datetime(2026, 1, 1, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    assert canonical({"at": moment}) == b'{"at":"2026-01-01T00:00:00.000000Z"}'


def test_canonical_form_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        canonical({"at": datetime.datetime(2026, 1, 1)})


def test_chain_digest_changes_when_the_previous_link_changes():
    body = {"seq": 1, "choice": "for"}
    assert chain_digest(body, GENESIS) != chain_digest(body, digest({"other": 1}))


# Safe spreadsheet cells ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_could_be_a_formula_is_quoted(text):
    assert safe_cell(text) == "'" + text


def test_numbers_and_plain_text_pass_unchanged():
    assert safe_row([-5, Decimal("-1.50"), "1栋-1单元-101", None]) == [-5, Decimal("-1.50"), "1栋-1单元-101", None]


# Upload limits --------------------------------------------------------------------------------------


def _xlsx_bytes(shared_strings: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", shared_strings)
    return buffer.getvalue()


def test_a_pdf_named_csv_is_recognised_by_its_content():
    assert sniff(io.BytesIO(b"%PDF-1.7\n...")) == "pdf"


def test_a_register_upload_of_the_wrong_type_is_refused():
    with pytest.raises(ApplicationError) as refused:
        check_upload(io.BytesIO(b"%PDF-1.7\n..."), "register")
    assert refused.value.code == "upload_type"


def test_a_shared_strings_bomb_is_refused_before_parsing():
    bomb = _xlsx_bytes(b"<sst>" + b"<si><t>A</t></si>" * 5_000_000 + b"</sst>")
    assert len(bomb) < 1_000_000
    with pytest.raises(ApplicationError) as refused:
        check_upload(io.BytesIO(bomb), "register")
    assert refused.value.code == "upload_too_large"


def test_a_file_over_the_size_limit_is_refused_by_size(settings):
    settings.GONGZHI = {**settings.GONGZHI, "UPLOADS": {"voucher": {"max_bytes": 1024}}}
    with pytest.raises(ApplicationError) as refused:
        check_upload(io.BytesIO(b"%PDF-1.7\n" + b"0" * 2048), "voucher")
    assert refused.value.code == "upload_too_large"


def test_a_small_pdf_voucher_is_accepted():
    assert check_upload(io.BytesIO(b"%PDF-1.7\n%%EOF"), "voucher") == "pdf"


def _filled(parts, values: dict) -> bytes:
    return b"".join(p if isinstance(p, bytes) else str(values[p]).encode() for p in parts)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "ballot", "seq": 0, "reference": 'A "引号" \\ =SUM(1) \u2028 😀', "proxy_id": None, "valid": True},
        {"zeta": "末尾", "alpha": 1, "seq": 0},
    ],
)
def test_the_digests_parts_filled_in_are_the_bytes_chain_digest_hashes(body):
    parts = chain_digest_parts(body, {"previous": "text", "seq": "number"})
    previous = "ab" * 32
    filled = _filled(parts, {"previous": previous, "seq": 41})
    assert filled == canonical({**body, "seq": 41, "previous": previous})
    assert hashlib.sha256(filled).hexdigest() == chain_digest({**body, "seq": 41}, previous)


def test_the_digests_parts_are_refused_when_a_text_holds_a_slots_marker():
    body = {"seq": 0, "reference": "\ue000seq\ue001"}
    assert chain_digest_parts(body, {"previous": "text", "seq": "number"}) is None
