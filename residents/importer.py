"""Bulk import of an estate's register from CSV (UTF-8 with or without BOM, or GB18030) or XLSX.

Two passes, memory flat however large the file. The first streams the file row by row
(the standard ``csv`` reader, or openpyxl in read-only mode: neither holds the sheet in
memory), checks each row, and stages the good ones (``ImportRow``, by ``COPY`` on
PostgreSQL) with ID and phone numbers as encrypted tokens and keyed hashes; one SQL pass
with window functions then checks the rows against each other. A file with any error
imports nothing and yields a report naming each bad line. The second pass reads the staged
rows back in unit order and writes the register in one transaction, a batch of units at a
time with a fixed number of queries per batch: new rows go in with ``COPY`` (``bulk_create``
elsewhere), changed units are updated by their natural key (estate, building, stairway,
room), and a unit whose owners changed has its ownerships ended and new ones started on the
import's date. Importing the same file again finds nothing to change.

The documented columns: building, stairway, room, use, area, area_source, delivered,
owner_name, owner_id_number, owner_phone, is_developer, share.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import EncryptedCharField, decrypt, encrypt, keyed_hash, mask_id_number
from governance.audit import audit_record
from governance.models import Person, Place, PlaceKind
from residents.identifiers import is_credit_code, is_resident_id
from residents.models import (
    AreaSource,
    ImportJob,
    ImportRow,
    ImportState,
    Owner,
    OwnerKind,
    Ownership,
    PropertyUnit,
    UnitUse,
)

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
logger = logging.getLogger(__name__)
BATCH = 5000
# A report names every bad line; past this many, the stored report keeps the first ones and the count.
MAX_REPORTED_ERRORS = 1000

YES = {"yes", "y", "true", "1", "是"}
NO = {"no", "n", "false", "0", "否"}
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
TWO_PLACES = Decimal("0.01")
USES = frozenset(UnitUse.values)
AREA_SOURCES = frozenset(AreaSource.values)
MAX_AREA = Decimal("99999999.99")


class RegisterFileError(Exception):
    """The file cannot be read at all (not CSV or XLSX, or no header)."""


@dataclass(slots=True)
class OwnerSpec:
    line: int
    kind: str
    name: str
    ident: str
    phone: str
    is_developer: bool


@dataclass
class Report:
    rows: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    units: int = 0
    batch: uuid.UUID | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "column": column, "message": message})


# Reading ------------------------------------------------------------------------------------------


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


def read_rows(fh, name: str = "") -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each data row of a binary file handle; the header is line 1."""
    head = fh.read(4)
    fh.seek(0)
    if _is_xlsx(head, name):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a damaged file
            raise RegisterFileError(_("无法读取 XLSX 文件：%s") % exc) from exc
        rows = ((_cell(c) for c in r) for r in workbook.active.iter_rows(values_only=True))
    else:
        text = io.TextIOWrapper(fh, encoding=_detect_encoding(fh), newline="")
        rows = ((c.strip() for c in r) for r in csv.reader(text))
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
    for line, values in enumerate(rows, start=2):
        values = list(values)
        if not any(values):
            continue
        values += [""] * (width - len(values))
        yield line, {c: values[i] for c, i in index}


# Checking -----------------------------------------------------------------------------------------


def _flag(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in YES else False if v in NO else None


def _decimal(value: str) -> Decimal | None:
    try:
        d = Decimal(value.replace(",", ""))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _check_row(line: int, row: dict, buildings: dict[str, int], estate: Place, report: Report):
    """Check one row alone; return the parsed values, or None after reporting its errors."""
    errors_before = report.error_count
    name = row.get("building", "")
    building_id = buildings.get(name)
    if not name:
        report.add(line, "building", _("缺少楼栋名称。"))
    elif building_id is None:
        report.add(
            line, "building", _("小区“%(estate)s”中没有名为“%(name)s”的楼栋。") % {"estate": estate.name, "name": name}
        )
    stairway, room = row.get("stairway", ""), row.get("room", "")
    if not room:
        report.add(line, "room", _("缺少房号。"))
    elif len(room) > 40 or len(stairway) > 20:
        report.add(line, "room", _("单元号或房号过长（单元最多 20 字，房号最多 40 字）。"))
    use = row.get("use", "").lower()
    if use not in USES:
        report.add(
            line, "use", _("用途“%(value)s”无效，应为 residential、commercial、parking 或 other。") % {"value": use}
        )
    raw_area = row.get("area", "")
    area = _decimal(raw_area) if raw_area else None
    if not raw_area:
        report.add(line, "area", _("缺少面积。"))
    elif area is None:
        report.add(line, "area", _("面积“%(value)s”不是数字。") % {"value": raw_area})
    elif area <= 0:
        report.add(line, "area", _("面积必须大于 0，这里是 %(value)s。") % {"value": raw_area})
    elif area != area.quantize(TWO_PLACES) or area > MAX_AREA:
        report.add(line, "area", _("面积“%(value)s”最多两位小数，且不超过 99999999.99。") % {"value": raw_area})
    source = row.get("area_source", "").lower()
    if source not in AREA_SOURCES:
        report.add(
            line,
            "area_source",
            _("面积来源“%(value)s”无效，应为 registered、surveyed 或 contract。") % {"value": source},
        )
    delivered = _flag(row.get("delivered", ""))
    if delivered is None:
        report.add(line, "delivered", _("是否交付应为 yes 或 no。"))
    is_developer = _flag(row.get("is_developer", ""))
    if is_developer is None:
        report.add(line, "is_developer", _("是否建设单位应为 yes 或 no。"))
    owner_name = row.get("owner_name", "")
    if not owner_name:
        report.add(line, "owner_name", _("缺少业主姓名或单位名称。"))
    elif len(owner_name) > 100:
        report.add(line, "owner_name", _("业主姓名过长（最多 100 字）。"))
    ident = "".join(row.get("owner_id_number", "").split()).upper()
    kind = None
    if not ident:
        report.add(line, "owner_id_number", _("缺少证件号码（身份证号或统一社会信用代码）。"))
    elif not is_developer and is_resident_id(ident):
        kind = OwnerKind.PERSON
    elif is_credit_code(ident):
        kind = OwnerKind.ORGANIZATION
    elif is_developer:
        report.add(
            line,
            "owner_id_number",
            _("建设单位的统一社会信用代码“%(value)s”格式或校验位不正确。") % {"value": mask_id_number(ident)},
        )
    else:
        report.add(
            line,
            "owner_id_number",
            _("证件号码“%(value)s”不是有效的 18 位身份证号或统一社会信用代码（格式或校验位不正确）。")
            % {"value": mask_id_number(ident)},
        )
    phone = "".join(row.get("owner_phone", "").split())
    if phone and not PHONE_RE.match(phone):
        report.add(line, "owner_phone", _("手机号或电话号码格式不正确。"))
    raw_share = row.get("share", "")
    share = None
    if raw_share:
        share = _decimal(raw_share)
        if share is None or share <= 0 or share > 1 or share != share.quantize(Decimal("0.0001")):
            report.add(
                line, "share", _("共有份额“%(value)s”应为 0 到 1 之间、最多四位小数的数。") % {"value": raw_share}
            )
            share = None
    if report.error_count != errors_before:
        return None
    return (
        (building_id, stairway, room),
        use,
        area,
        source,
        delivered,
        OwnerSpec(line, kind, owner_name, ident, phone, is_developer),
        share,
    )


def _staged(line: int, parsed, batch) -> tuple:
    """The staging row of a checked row: identifiers as keyed hashes and encrypted tokens only."""
    (building_id, stairway, room), use, area, source, delivered, owner, share = parsed
    is_person = owner.kind == OwnerKind.PERSON
    return (
        batch, line, building_id, stairway, room, use, area, source, delivered,
        owner.kind, owner.name, keyed_hash(owner.ident), "" if is_person else owner.ident,
        encrypt(owner.ident) if is_person else "", encrypt(owner.phone), keyed_hash(owner.phone),
        owner.is_developer, share,
    )  # fmt: skip


STAGED_COLUMNS = [
    "batch", "line", "building_id", "stairway", "room", "use", "area", "area_source", "delivered",
    "owner_kind", "owner_name", "owner_hash", "owner_code", "id_token", "phone_token", "phone_hash",
    "is_developer", "share",
]  # fmt: skip

# The checks across rows, in one pass over the staged rows: the same room with different
# attributes, the same owner twice on a unit, co-owners' shares above 1, one ID number
# under two names. Portable SQL (window functions): PostgreSQL and SQLite alike.
CROSS_CHECK_SQL = """
SELECT line, u_line, area, u_area, area_source, u_source, use, u_use, delivered, u_delivered,
       uo_n, uo_line, share_sum, owner_name, o_name, is_developer, o_dev, o_line
FROM (
  SELECT line, area, area_source, {use} AS use, delivered, owner_name, is_developer,
    FIRST_VALUE(line) OVER u AS u_line, FIRST_VALUE(area) OVER u AS u_area,
    FIRST_VALUE(area_source) OVER u AS u_source, FIRST_VALUE({use}) OVER u AS u_use,
    FIRST_VALUE(delivered) OVER u AS u_delivered,
    ROW_NUMBER() OVER uo AS uo_n, FIRST_VALUE(line) OVER uo AS uo_line,
    SUM(COALESCE(share, 0)) OVER u AS share_sum,
    FIRST_VALUE(owner_name) OVER o AS o_name, FIRST_VALUE(is_developer) OVER o AS o_dev,
    FIRST_VALUE(line) OVER o AS o_line
  FROM residents_importrow WHERE batch = %s
  WINDOW u AS (PARTITION BY building_id, stairway, room ORDER BY line ROWS UNBOUNDED PRECEDING),
         uo AS (PARTITION BY building_id, stairway, room, owner_hash ORDER BY line ROWS UNBOUNDED PRECEDING),
         o AS (PARTITION BY owner_hash ORDER BY line ROWS UNBOUNDED PRECEDING)
) checked
WHERE owner_name <> o_name OR is_developer <> o_dev OR area <> u_area OR area_source <> u_source
   OR use <> u_use OR delivered <> u_delivered OR uo_n > 1 OR share_sum > 1
ORDER BY line
"""


def _two_places(value) -> Decimal:
    # SQLite hands numeric columns back as int or float.
    return Decimal(str(value)).quantize(TWO_PLACES)


def _yes_no(value) -> str:
    return "yes" if value else "no"


def _cross_check(report: Report) -> None:
    """Report each staged row that disagrees with an earlier row of the same unit or owner."""
    sql = CROSS_CHECK_SQL.format(use=connection.ops.quote_name("use"))
    with connection.cursor() as cursor:
        cursor.execute(sql, [_batch_param(report.batch)])
        for (
            line, u_line, area, u_area, source, u_source, use, u_use, delivered, u_delivered,
            uo_n, uo_line, share_sum, name, o_name, dev, o_dev, o_line,
        ) in cursor.fetchall():  # fmt: skip
            if name != o_name or bool(dev) != bool(o_dev):
                report.add(
                    line, "owner_name", _("证件号码与第 %(line)s 行相同，但姓名或是否建设单位不同。") % {"line": o_line}
                )
                continue
            for column, mine, theirs, label in (
                ("area", _two_places(area), _two_places(u_area), _("面积")),
                ("area_source", source, u_source, _("面积来源")),
                ("use", use, u_use, _("用途")),
                ("delivered", _yes_no(delivered), _yes_no(u_delivered), _("是否交付")),
            ):
                if mine != theirs:
                    report.add(
                        line,
                        column,
                        _("与第 %(line)s 行是同一房屋，但%(label)s不同（%(theirs)s 与 %(mine)s）。")
                        % {"line": u_line, "label": label, "theirs": theirs, "mine": mine},
                    )
                    break
            else:
                if uo_n > 1:
                    report.add(
                        line,
                        "owner_id_number",
                        _("与第 %(line)s 行重复：同一业主重复登记同一房屋。") % {"line": uo_line},
                    )
                elif Decimal(str(share_sum)) > 1:
                    report.add(line, "share", _("该房屋各共有人的份额合计超过 1。"))


def _batch_param(batch):
    # SQLite keeps UUIDs as 32 hex characters, PostgreSQL as uuid.
    return batch if connection.vendor == "postgresql" else batch.hex


def discard(report: Report) -> None:
    """Delete a report's staged rows."""
    if report.batch is not None:
        ImportRow.objects.filter(batch=report.batch).delete()


def validate(fh, name: str, estate: Place, progress=None) -> Report:
    """Check every row of a register file for ``estate``; the report names each bad line and why.

    Good rows are staged (``ImportRow``) in batches as the file streams by, so memory stays
    flat; the checks across rows then run in the database. A report with errors has its
    staged rows discarded already; a good one keeps them for ``write``.
    """
    report = Report(batch=uuid.uuid4())
    # Rows left behind by an import whose process died: no import runs for a day.
    ImportRow.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=1)).delete()
    buildings = dict(Place.objects.filter(kind=PlaceKind.BUILDING, estate=estate).values_list("name", "id"))
    pending: list[tuple] = []

    def flush():
        insert_rows(ImportRow, STAGED_COLUMNS, pending, returning=False)
        pending.clear()

    try:
        for line, row in read_rows(fh, name):
            report.rows += 1
            parsed = _check_row(line, row, buildings, estate, report)
            if parsed is not None and report.ok:
                pending.append(_staged(line, parsed, report.batch))
                if len(pending) >= BATCH:
                    flush()
            if progress and report.rows % BATCH == 0:
                progress(report.rows)
    except RegisterFileError as exc:
        report.add(1, "", str(exc))
    except (UnicodeDecodeError, csv.Error) as exc:
        report.add(report.rows + 2, "", _("无法读取文件：%s") % exc)
    if report.rows == 0 and report.ok:
        report.add(1, "", _("文件中没有数据行。"))
    if report.ok:
        flush()
        _cross_check(report)
    if report.ok:
        report.units = (
            ImportRow.objects.filter(batch=report.batch).values("building_id", "stairway", "room").distinct().count()
        )
    else:
        report.errors.sort(key=lambda e: e["line"])
        discard(report)
    return report


# Writing ----------------------------------------------------------------------------------------------


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def insert_rows(model, columns: list[str], rows: list[tuple], *, returning: bool = True, encrypted: bool = False):
    """Insert rows given as tuples of ``columns`` (attribute names); return their new ids.

    On PostgreSQL: ids drawn from the sequence in one query, then ``COPY`` (encrypted
    columns are encrypted here unless ``encrypted`` says the values are tokens already;
    other columns take their model default). Elsewhere: ``bulk_create``. No model
    instances on the fast path: building them costs more than the database's work.
    """
    if not rows:
        return []
    meta = model._meta
    given = [meta.get_field(c) for c in columns]
    secret = [isinstance(f, EncryptedCharField) for f in given]
    if connection.vendor != "postgresql":
        if encrypted and any(secret):
            # The model encrypts on save: hand it clear values.
            rows = [tuple(decrypt(v) if s else v for s, v in zip(secret, row, strict=True)) for row in rows]
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=1000)
        return [o.pk for o in objs]
    now = timezone.now()
    fixed = []
    for f in meta.concrete_fields:
        if f.primary_key or f in given:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fixed.append((f, now))
        else:
            fixed.append((f, f.get_db_prep_save(f.get_default(), connection)))
    convert = [encrypt if s and not encrypted else None for s in secret]
    needs_convert = any(convert)
    extra = tuple(v for _f, v in fixed)
    names = ", ".join(connection.ops.quote_name(f.column) for f in [*given, *(f for f, _v in fixed)])
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        ids = []
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [meta.db_table, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            names = "id, " + names
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for i, row in enumerate(rows):
                if needs_convert:
                    row = tuple(c(v) if c else v for c, v in zip(convert, row, strict=True))
                copy.write_row((ids[i], *row, *extra) if returning else (*row, *extra))
    return ids


def _matching(model, column: str, values: list, fields: tuple[str, ...]) -> list[tuple]:
    """Rows of ``model`` whose ``column`` is one of ``values``, as ``(column, *fields)`` tuples.

    On PostgreSQL one query with the values as a single array parameter (``= ANY``): binding
    thousands of separate parameters of an ``IN`` list costs more on the client.
    """
    if not values:
        return []
    if connection.vendor != "postgresql":
        rows = []
        for batch in _chunks(values, 900):
            rows.extend(model.objects.filter(**{f"{column}__in": batch}).values_list(column, *fields))
        return rows
    meta = model._meta
    names = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in (column, *fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {names} FROM {connection.ops.quote_name(meta.db_table)} "
            f"WHERE {connection.ops.quote_name(meta.get_field(column).column)} = ANY(%s)",
            [values],
        )
        return cursor.fetchall()


def _fetch(queryset, fields: tuple[str, ...], pg_where: str, pg_params: list) -> list[tuple]:
    """``queryset.values_list(*fields)``; on PostgreSQL the same rows by ``pg_where`` with array parameters.

    The ORM spells a list as an ``IN`` of one parameter per value; for batches of thousands
    the client's binding costs more than the query.
    """
    if connection.vendor != "postgresql":
        return list(queryset.order_by().values_list(*fields))
    meta = queryset.model._meta
    names = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {connection.ops.quote_name(meta.db_table)} WHERE {pg_where}", pg_params)
        return cursor.fetchall()


UNIT_COMPARED = ("use", "registered_area", "surveyed_area", "contract_area", "delivered")
UNIT_UPDATED = [*UNIT_COMPARED, "area", "area_source", "updated_at"]
UNIT_VALUES = ("use", "registered_area", "surveyed_area", "contract_area", "area", "area_source", "delivered")
UNIT_COLUMNS = ["building_id", "stairway", "room", "estate_id", *UNIT_VALUES]
PERSON_COLUMNS = ["name", "id_number", "id_number_hash", "phone", "phone_hash", "place_id"]
OWNER_COLUMNS = ["kind", "person_id", "org_name", "credit_code", "credit_code_hash", "is_developer", "place_id"]
OWNERSHIP_COLUMNS = ["unit_id", "owner_id", "start", "end", "share", "registered"]
READ_COLUMNS = (
    "building_id", "stairway", "room", "use", "area", "area_source", "delivered", "owner_kind", "owner_name",
    "owner_hash", "owner_code", "id_token", "phone_token", "phone_hash", "is_developer", "share",
)  # fmt: skip


@dataclass(slots=True)
class _Unit:
    key: tuple
    values: dict
    owners: list  # [(owner_hash, share)]


def _area_values(use, area, source, delivered) -> dict:
    return {
        "use": use,
        "registered_area": area if source == AreaSource.REGISTERED else None,
        "surveyed_area": area if source == AreaSource.SURVEYED else None,
        "contract_area": area if source == AreaSource.CONTRACT else None,
        "area": area,
        "area_source": source,
        "delivered": delivered,
    }


def _people_to_look_up(report: Report) -> set | None:
    """The ID-number hashes that need looking up batch by batch; ``None`` for all of them.

    When no staged person exists yet (a first import), only the people who own units in
    more than one batch can be found: the ones an earlier batch created. One query each way.
    """
    batch = _batch_param(report.batch)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM residents_importrow r JOIN governance_person p "
            "ON p.id_number_hash = r.owner_hash WHERE r.batch = %s AND r.owner_kind = %s)",
            [batch, OwnerKind.PERSON],
        )
        if cursor.fetchone()[0]:
            return None
        cursor.execute(
            "SELECT owner_hash FROM residents_importrow WHERE batch = %s AND owner_kind = %s "
            "GROUP BY owner_hash HAVING COUNT(*) > 1",
            [batch, OwnerKind.PERSON],
        )
        return {h for (h,) in cursor.fetchall()}


class _Writer:
    """Merge staged rows into the register, one batch of units at a time (bounded memory)."""

    def __init__(self, estate: Place, on: datetime.date, progress, look_up: set | None = None):
        self.estate, self.on, self.progress, self.look_up = estate, on, progress, look_up
        self.counts = dict.fromkeys(
            (
                "units_created", "units_updated", "persons_created", "persons_updated", "owners_created",
                "owners_updated", "ownerships_started", "ownerships_ended", "ownerships_corrected",
                "units_changing_hands",
            ),
            0,
        )  # fmt: skip
        self.changed_units: list[int] = []
        self.written = 0

    def run(self, batch) -> None:
        units: list[_Unit] = []
        owners: dict[str, tuple] = {}
        current = None
        rows = (
            ImportRow.objects.filter(batch=batch)
            .order_by("building_id", "stairway", "room", "line")
            .values_list(*READ_COLUMNS)
        )
        for row in rows.iterator(chunk_size=BATCH):
            (
                b,
                stairway,
                room,
                use,
                area,
                source,
                delivered,
                kind,
                name,
                h,
                code,
                id_token,
                phone_token,
                phone_hash,
                dev,
                share,
            ) = row
            key = (b, stairway, room)
            if current is None or current.key != key:
                if len(units) >= BATCH:
                    self.flush(units, owners)
                    units, owners = [], {}
                current = _Unit(key, _area_values(use, area, source, delivered), [])
                units.append(current)
            current.owners.append((h, share))
            owners.setdefault(h, (kind, name, code, id_token, phone_token, phone_hash, dev))
        if units:
            self.flush(units, owners)

    def flush(self, units: list[_Unit], owners: dict) -> None:
        unit_ids = self._units(units)
        owner_ids = self._owners(owners)
        self._ownerships(units, unit_ids, owner_ids)
        self.written += len(units)
        self.progress(self.written)

    def _units(self, units: list[_Unit]) -> dict:
        buildings = list({u.key[0] for u in units})
        rooms = list({u.key[2] for u in units})
        existing = {}
        for pk, b, s, r, *vals in _fetch(
            PropertyUnit.objects.filter(estate=self.estate, building_id__in=buildings, room__in=rooms),
            ("id", "building_id", "stairway", "room", *UNIT_COMPARED),
            "estate_id = %s AND building_id = ANY(%s) AND room = ANY(%s)",
            [self.estate.pk, buildings, rooms],
        ):
            existing[(b, s, r)] = (pk, tuple(vals))
        ids, to_create, to_update = {}, [], []
        now = timezone.now()
        for unit in units:
            values = unit.values
            if unit.key in existing:
                pk, current = existing[unit.key]
                ids[unit.key] = pk
                if tuple(values[f] for f in UNIT_COMPARED) != current:
                    to_update.append(PropertyUnit(pk=pk, updated_at=now, **values))
            else:
                to_create.append((*unit.key, self.estate.pk, *(values[f] for f in UNIT_VALUES)))
        new_ids = insert_rows(PropertyUnit, UNIT_COLUMNS, to_create)
        ids.update(zip((row[:3] for row in to_create), new_ids, strict=True))
        if to_update:
            PropertyUnit.objects.bulk_update(to_update, UNIT_UPDATED, batch_size=1000)
        self.counts["units_created"] += len(to_create)
        self.counts["units_updated"] += len(to_update)
        return ids

    def _owners(self, owners: dict) -> dict:
        """Find or create the owner of each hash (people by ID-number hash, organizations by credit code)."""
        people = {h: o for h, o in owners.items() if o[0] == OwnerKind.PERSON}
        orgs = {h: o for h, o in owners.items() if o[0] == OwnerKind.ORGANIZATION}
        owner_ids: dict[str, int] = {}
        found = {}
        wanted = list(people) if self.look_up is None else [h for h in people if h in self.look_up]
        for h, pk, name, phone_hash in _matching(Person, "id_number_hash", wanted, ("id", "name", "phone_hash")):
            found.setdefault(h, (pk, name, phone_hash))
        person_of, new_people = {}, []
        for h, (_kind, name, _code, id_token, phone_token, phone_hash, _dev) in people.items():
            hit = found.get(h)
            if hit is None:
                new_people.append((h, (name, id_token, h, phone_token, phone_hash, self.estate.pk)))
                continue
            pk, old_name, old_phone_hash = hit
            person_of[h] = pk
            phone_changed = bool(phone_hash) and phone_hash != old_phone_hash
            if name != old_name or phone_changed:
                # Rare (a renamed owner, a new phone): one update each keeps the encrypted columns right.
                person = Person(pk=pk, name=name)
                fields = ["name"]
                if phone_changed:
                    person.phone, person.phone_hash = decrypt(phone_token), phone_hash
                    fields += ["phone", "phone_hash"]
                person.save(update_fields=fields)
                self.counts["persons_updated"] += 1
        new_ids = insert_rows(Person, PERSON_COLUMNS, [row for _h, row in new_people], encrypted=True)
        person_of.update(zip((h for h, _row in new_people), new_ids, strict=True))
        self.counts["persons_created"] += len(new_people)

        # Only people found already can have an owner record; those just created have none.
        found_people = [person_of[h] for h in found if h in person_of]
        owner_of_person = dict(_matching(Owner, "person_id", found_people, ("id",)))
        new_owners = []
        for h, person_id in person_of.items():
            if person_id in owner_of_person:
                owner_ids[h] = owner_of_person[person_id]
            else:
                new_owners.append((h, (OwnerKind.PERSON, person_id, "", "", "", False, self.estate.pk)))
        org_found = {
            h: (pk, name, dev)
            for h, pk, name, dev in _matching(Owner, "credit_code_hash", list(orgs), ("id", "org_name", "is_developer"))
        }
        for h, (_kind, name, code, _i, _p, _ph, dev) in orgs.items():
            hit = org_found.get(h)
            if hit is None:
                new_owners.append((h, (OwnerKind.ORGANIZATION, None, name, code, h, dev, self.estate.pk)))
                continue
            pk, old_name, old_dev = hit
            owner_ids[h] = pk
            if old_name != name or old_dev != dev:
                Owner.objects.filter(pk=pk).update(org_name=name, is_developer=dev)
                self.counts["owners_updated"] += 1
        new_ids = insert_rows(Owner, OWNER_COLUMNS, [row for _h, row in new_owners])
        owner_ids.update(zip((h for h, _row in new_owners), new_ids, strict=True))
        self.counts["owners_created"] += len(new_owners)
        return owner_ids

    def _ownerships(self, units: list[_Unit], unit_ids: dict, owner_ids: dict) -> None:
        """End and start ownerships where a unit's owners (or shares) differ from the file."""
        on = self.on
        current: dict[int, list] = {}
        for unit_id, pk, owner_id, share, start in _fetch(
            Ownership.objects.active_on(on).filter(unit_id__in=list(unit_ids.values())),
            ("unit_id", "id", "owner_id", "share", "start"),
            'unit_id = ANY(%s) AND start <= %s AND ("end" IS NULL OR "end" > %s)',
            [list(unit_ids.values()), on, on],
        ):
            current.setdefault(unit_id, []).append((pk, owner_id, share, start))
        to_end, to_drop, to_create = [], [], []
        for unit in units:
            unit_id = unit_ids[unit.key]
            wanted = {owner_ids[h]: share for h, share in unit.owners}
            held = current.get(unit_id, [])
            if {o: s for _pk, o, s, _st in held} == wanted:
                continue
            self.changed_units.append(unit_id)
            for pk, _o, _s, start in held:
                # An ownership that started on the import's own day is a same-day correction, not history.
                (to_drop if start >= on else to_end).append(pk)
            registered = unit.values["area_source"] == AreaSource.REGISTERED
            to_create.extend((unit_id, o, on, None, share, registered) for o, share in wanted.items())
        if to_end:
            Ownership.objects.filter(pk__in=to_end).update(end=on)
        if to_drop:
            Ownership.objects.filter(pk__in=to_drop).delete()
        insert_rows(Ownership, OWNERSHIP_COLUMNS, to_create)
        self.counts["ownerships_started"] += len(to_create)
        self.counts["ownerships_ended"] += len(to_end)
        self.counts["ownerships_corrected"] += len(to_drop)
        self.counts["units_changing_hands"] = len(self.changed_units)


def write(
    estate: Place, report: Report, *, on: datetime.date, actor, job: ImportJob | None = None, progress=None
) -> dict:
    """Write a validated register in one transaction, batch by batch; return what changed."""
    try:
        with transaction.atomic():
            # One import per estate at a time: a second would race for the same natural keys.
            Place.objects.select_for_update().filter(pk=estate.pk).first()
            look_up = _people_to_look_up(report)
            if connection.vendor == "postgresql":
                # The rows this transaction adds are unknown to the planner's statistics, which
                # then scans whole tables for each batch's lookups; the indexes are the way.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_seqscan = off")
            writer = _Writer(estate, on, progress or (lambda n: None), look_up)
            writer.run(report.batch)
            summary = {"rows": report.rows, "units": report.units, "on": on.isoformat(), **writer.counts}
            audit_record(
                actor=actor,
                action="register.import",
                obj=job,
                place=estate,
                summary=_("导入登记册：%(units)s 户，新增 %(created)s 户，%(changed)s 户产权变更")
                % {
                    "units": report.units,
                    "created": writer.counts["units_created"],
                    "changed": len(writer.changed_units),
                },
                data={**summary, "changed_unit_ids": writer.changed_units[:1000]},
            )
            discard(report)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # for an enclosing transaction's later queries
                    cursor.execute("SET LOCAL enable_seqscan = on")
    except Exception:
        if not connection.in_atomic_block:  # the staged rows were committed by ``validate``
            discard(report)
        raise
    return summary


def import_register(
    fh, name: str, estate: Place, *, actor=None, on: datetime.date | None = None
) -> tuple[Report, dict]:
    """Validate a register file, then import it if it has no error; return the report and what changed."""
    report = validate(fh, name, estate)
    if not report.ok:
        return report, {}
    return report, write(estate, report, on=on or timezone.localdate(), actor=actor)


# The job ----------------------------------------------------------------------------------------------


class _Progress:
    """Write a job's progress where another connection can see it, even from inside the import's transaction."""

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


def run_job(*, job: ImportJob, actor=None) -> ImportJob:
    """Run one import job: claim it, validate, write, and record the outcome on the job row."""
    claimed = ImportJob.objects.filter(pk=job.pk, state=ImportState.PENDING).update(
        state=ImportState.VALIDATING, started_at=timezone.now()
    )
    if not claimed:  # already run by another worker, or a retry of a finished job
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    progress = _Progress(job)
    try:
        with job.file.open("rb") as fh:
            report = validate(
                fh, job.file_name or job.file.name, job.estate, progress=lambda n: progress.set(processed_rows=n)
            )
        progress.set(processed_rows=report.rows, total_rows=report.rows, total_units=report.units)
        if not report.ok:
            job.errors, job.error_count, job.state = report.errors, report.error_count, ImportState.INVALID
        else:
            progress.set(state=ImportState.IMPORTING)
            job.summary = write(
                job.estate,
                report,
                on=job.on or timezone.localdate(),
                actor=actor or job.created_by,
                job=job,
                progress=lambda n: progress.set(written_units=n),
            )
            job.written_units, job.state = report.units, ImportState.DONE
    except Exception as exc:  # the job row must say it failed, whatever failed
        logger.exception("register import %s failed", job.pk)
        job.state, job.errors, job.error_count = ImportState.FAILED, [{"line": 0, "column": "", "message": str(exc)}], 1
    finally:
        progress.close()
        job.finished_at = timezone.now()
        # The uploaded file holds ID and phone numbers in clear: keep it no longer than the import.
        job.file.delete(save=False)
        job.save()
    return job
