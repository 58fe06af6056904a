"""Bulk import of an estate's register from CSV (UTF-8 with or without BOM, or GB18030) or XLSX.

Two passes, memory flat however large the file. The first streams the file row by row
(the standard ``csv`` reader, or openpyxl in read-only mode: neither holds the sheet in
memory), checks each row, and stages the good ones (``ImportRow``, through one ``COPY`` on
PostgreSQL) with ID and phone numbers as encrypted tokens and keyed hashes, encrypted a
batch at a time; one SQL pass with window functions then checks the rows against each
other. A file with any error imports nothing and yields a report naming each bad line. The
second pass writes the register in one transaction, in set-based SQL from the staged rows
(a few statements per table, nothing proportional to the file in Python): units are
matched by their natural key (estate, building, stairway, room) and updated where they
differ, people by the keyed hash of their ID number, organizations by that of their credit
code; a unit whose owners changed has its ownerships ended and new ones started on the
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import encrypt_many, keyed_hash_many, mask_id_number
from governance.audit import audit_record
from governance.models import Person, Place, PlaceKind
from governance.scoping import SYSTEM
from residents.events import ResidentsEvent
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


def _staged(checked: list[tuple], batch) -> list[tuple]:
    """The staging rows of checked ``(line, parsed)`` rows: identifiers as keyed hashes and encrypted tokens only.

    Encrypted and hashed as a batch (``encrypt_many``, ``keyed_hash_many``), with one Fernet
    and one pre-keyed HMAC for the whole batch.
    """
    owners = [parsed[5] for _line, parsed in checked]
    persons = [o.kind == OwnerKind.PERSON for o in owners]
    id_hashes = keyed_hash_many([o.ident for o in owners])
    phone_hashes = keyed_hash_many([o.phone for o in owners])
    tokens = encrypt_many(
        [o.ident if p else "" for o, p in zip(owners, persons, strict=True)] + [o.phone for o in owners]
    )
    n = len(owners)
    rows = []
    for k, (line, parsed) in enumerate(checked):
        (building_id, stairway, room), use, area, source, delivered, owner, share = parsed
        rows.append((
            batch, line, building_id, stairway, room, use, area, source, delivered,
            owner.kind, owner.name, id_hashes[k], "" if persons[k] else owner.ident,
            tokens[k], tokens[n + k], phone_hashes[k], owner.is_developer, share,
        ))  # fmt: skip
    return rows


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
    staged rows discarded already; a good one keeps them for ``write``. On PostgreSQL the
    staging ``COPY`` holds the connection while the file is read: ``progress`` must write
    through another one (as ``run_job`` does).
    """
    report = Report(batch=uuid.uuid4())
    # Rows left behind by an import whose process died: no import runs for a day.
    ImportRow.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=1)).delete()
    buildings = dict(Place.objects.filter(kind=PlaceKind.BUILDING, estate=estate).values_list("name", "id"))
    pending: list[tuple] = []
    with _stager() as stage:
        try:
            for line, row in read_rows(fh, name):
                report.rows += 1
                parsed = _check_row(line, row, buildings, estate, report)
                if parsed is not None and report.ok:
                    pending.append((line, parsed))
                    if len(pending) >= BATCH:
                        stage(_staged(pending, report.batch))
                        pending.clear()
                if progress and report.rows % BATCH == 0:
                    progress(report.rows)
        except RegisterFileError as exc:
            report.add(1, "", str(exc))
        except (UnicodeDecodeError, csv.Error) as exc:
            report.add(report.rows + 2, "", _("无法读取文件：%s") % exc)
        if report.ok and pending:
            stage(_staged(pending, report.batch))
    if report.rows == 0 and report.ok:
        report.add(1, "", _("文件中没有数据行。"))
    if report.ok:
        if connection.vendor == "postgresql":
            # The planner's statistics know nothing of the rows just staged; the write's joins need them.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE residents_importrow (batch)")
        _cross_check(report)
    if report.ok:
        report.units = (
            ImportRow.objects.filter(batch=report.batch).values("building_id", "stairway", "room").distinct().count()
        )
    else:
        report.errors.sort(key=lambda e: e["line"])
        discard(report)
    return report


# Staging and writing ----------------------------------------------------------------------------------


@contextmanager
def _stager():
    """Yield a function that stages lists of rows (``STAGED_COLUMNS``) as the file streams by.

    On PostgreSQL one ``COPY`` stays open for the whole file: the database stores each batch
    while the next one is checked and encrypted. Elsewhere ``bulk_create`` per batch.
    """
    if connection.vendor != "postgresql":
        yield lambda rows: ImportRow.objects.bulk_create(
            [ImportRow(**dict(zip(STAGED_COLUMNS, row, strict=True))) for row in rows], batch_size=1000
        )
        return
    extra_columns, extra = _defaults(ImportRow, STAGED_COLUMNS)
    names = ", ".join(connection.ops.quote_name(c) for c in [*STAGED_COLUMNS, *extra_columns])
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY residents_importrow ({names}) FROM STDIN") as copy:

        def stage(rows):
            for row in rows:
                copy.write_row((*row, *extra))

        yield stage


def _defaults(model, columns) -> tuple[list[str], tuple]:
    """The columns of ``model`` not among ``columns`` (nor its id), and their default values for the database."""
    meta = model._meta
    given = {meta.get_field(c) for c in columns}
    now = timezone.now()
    names, values = [], []
    for f in meta.concrete_fields:
        if f.primary_key or f in given:
            continue
        names.append(f.column)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append(f.get_db_prep_save(now, connection))
        else:
            values.append(f.get_db_prep_save(f.get_default(), connection))
    return names, tuple(values)


def _insert_select(cursor, model, columns: dict[str, str], rest: str, params: list, *, leading=()) -> int:
    """``INSERT INTO`` the model's table ``SELECT`` the given expressions ``rest``; return the rows inserted.

    ``columns`` maps attribute names to SQL expressions, whose placeholders take ``leading``;
    ``rest`` (``FROM ...``) takes ``params``. The model's other columns take their defaults,
    as the ORM would give them.
    """
    meta = model._meta
    extra_columns, extra = _defaults(model, list(columns))
    names = [connection.ops.quote_name(meta.get_field(c).column) for c in columns]
    names += [connection.ops.quote_name(c) for c in extra_columns]
    # NULL as a literal: a parameter of no type in a SELECT list would be taken as text.
    exprs = [*columns.values(), *("NULL" if v is None else "%s" for v in extra)]
    cursor.execute(
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(names)}) SELECT {', '.join(exprs)} {rest}",
        [*leading, *(v for v in extra if v is not None), *params],
    )
    return cursor.rowcount


# The write runs in the database, set by set: the staged rows are merged into the register with
# a few statements per table, through temporary tables of the file's units, owners and holdings.
# Nothing proportional to the file passes through Python, so memory stays flat and the database
# does its work without a round trip per batch. Portable SQL: PostgreSQL and SQLite alike.
TEMP_TABLES = {
    "import_unit": (
        'line bigint, building_id bigint, stairway varchar(20), room varchar(40), "use" varchar(16), '
        "area numeric(10, 2), area_source varchar(16), delivered boolean, unit_id bigint, is_new boolean"
    ),
    "import_owner": (
        "owner_hash varchar(64), kind varchar(16), name varchar(100), code varchar(18), id_token text, "
        "phone_token text, phone_hash varchar(64), is_developer boolean, person_id bigint, person_new boolean, "
        "owner_id bigint, owner_new boolean"
    ),
    "import_holding": "unit_id bigint, owner_id bigint, share numeric(5, 4), registered boolean",
    "import_changed": "unit_id bigint PRIMARY KEY",
}
AREA_CASES = {
    f"{source}_area": f"CASE WHEN i.area_source = '{source}' THEN i.area END"
    for source in (AreaSource.REGISTERED, AreaSource.SURVEYED, AreaSource.CONTRACT)
}


def _in_force(alias: str = "") -> str:
    """An ownership in force on the import's day (two parameters, the day twice)."""
    p = f"{alias}." if alias else ""
    return f'{p}start <= %s AND ({p}"end" IS NULL OR {p}"end" > %s)'


class _Writer:
    """Merge an import's staged rows into the register with set-based SQL; count what changed."""

    def __init__(self, cursor, estate: Place, on: datetime.date, batch):
        self.cursor, self.estate, self.batch = cursor, estate, _batch_param(batch)
        self.on = connection.ops.adapt_datefield_value(on)
        self.counts = dict.fromkeys(
            (
                "units_created", "units_updated", "persons_created", "persons_updated", "owners_created",
                "owners_updated", "ownerships_started", "ownerships_ended", "ownerships_corrected",
                "units_changing_hands",
            ),
            0,
        )  # fmt: skip
        self.changed_units: list[int] = []

    def new_id(self, model) -> str:
        """An SQL expression drawing a new id for a row of ``model`` (one per row it is evaluated for)."""
        table = model._meta.db_table
        if connection.vendor == "postgresql":
            # The sequence named once: ``pg_get_serial_sequence`` per row costs more than ``nextval``.
            self.cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            return f"nextval('{self.cursor.fetchone()[0]}'::regclass)"
        # SQLite: above the highest id ever given (AUTOINCREMENT keeps it); gaps are harmless.
        return f"(SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = '{table}') + ROW_NUMBER() OVER ()"

    def execute(self, sql: str, params=()) -> int:
        self.cursor.execute(sql, params)
        return self.cursor.rowcount

    def create_temp_tables(self) -> None:
        on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
        for name, columns in TEMP_TABLES.items():
            self.execute(f"DROP TABLE IF EXISTS {name}")
            self.execute(f"CREATE TEMPORARY TABLE {name} ({columns}){on_commit}")

    def drop_temp_tables(self) -> None:
        for name in TEMP_TABLES:
            self.execute(f"DROP TABLE IF EXISTS {name}")

    def stage(self) -> None:
        """Fill the temporary tables: each unit of the file once, each owner once, with their ids.

        A unit, person or owner already on record keeps its id; a new one draws its id now,
        so that the rows below go in without a second pass to find them.
        """
        self.execute(
            # A unit is known in the temporary tables by the line of its first row.
            "INSERT INTO import_unit "
            'SELECT r.line, r.building_id, r.stairway, r.room, r."use", r.area, r.area_source, r.delivered, '
            f"COALESCE(u.id, {self.new_id(PropertyUnit)}), u.id IS NULL FROM ("
            '  SELECT line, building_id, stairway, room, "use", area, area_source, delivered,'
            "    ROW_NUMBER() OVER (PARTITION BY building_id, stairway, room ORDER BY line) AS n"
            "  FROM residents_importrow WHERE batch = %s) r "
            "LEFT JOIN residents_propertyunit u "
            "ON u.building_id = r.building_id AND u.stairway = r.stairway AND u.room = r.room "
            "WHERE r.n = 1",
            [self.batch],
        )
        self.execute("CREATE UNIQUE INDEX import_unit_line ON import_unit (line)")
        # Each owner's first row gives the name (the rows of one owner agree on it, checked) and
        # the phone: the first row that has one. People are found by the hash of their ID number
        # (the lowest id if several share it), organizations by the hash of their credit code.
        person, org = OwnerKind.PERSON, OwnerKind.ORGANIZATION
        self.execute(
            "INSERT INTO import_owner "
            "SELECT owner_hash, kind, name, code, id_token, phone_token, phone_hash, is_developer, "
            f"  CASE WHEN kind = '{person}' THEN COALESCE(found_person, {self.new_id(Person)}) END, "
            f"  kind = '{person}' AND found_person IS NULL, "
            f"  COALESCE(found_owner, {self.new_id(Owner)}), found_owner IS NULL "
            "FROM ("
            "  SELECT f.*, p.id AS found_person, COALESCE(po.id, oo.id) AS found_owner FROM ("
            "    SELECT owner_hash, owner_kind AS kind, owner_name AS name, owner_code AS code, id_token,"
            "      phone_token, phone_hash, is_developer, ROW_NUMBER() OVER ("
            "        PARTITION BY owner_hash ORDER BY CASE WHEN phone_hash = '' THEN 1 ELSE 0 END, line) AS n"
            "    FROM residents_importrow WHERE batch = %s) f"
            "  LEFT JOIN ("
            "    SELECT id_number_hash AS h, MIN(id) AS id FROM governance_person WHERE id_number_hash IN ("
            "      SELECT owner_hash FROM residents_importrow WHERE batch = %s AND owner_kind = %s)"
            "    GROUP BY id_number_hash"
            f"  ) p ON f.kind = '{person}' AND p.h = f.owner_hash"
            "  LEFT JOIN residents_owner po ON po.person_id = p.id"
            "  LEFT JOIN ("
            "    SELECT credit_code_hash AS h, MIN(id) AS id FROM residents_owner WHERE credit_code_hash IN ("
            "      SELECT owner_hash FROM residents_importrow WHERE batch = %s AND owner_kind = %s)"
            "    GROUP BY credit_code_hash"
            f"  ) oo ON f.kind = '{org}' AND oo.h = f.owner_hash"
            "  WHERE f.n = 1"
            ") x",
            [self.batch, self.batch, person, self.batch, org],
        )
        self.execute("CREATE UNIQUE INDEX import_owner_hash ON import_owner (owner_hash)")

    def units(self) -> None:
        """Update the units whose use, areas or delivery differ from the file; create the new ones."""
        unit = "residents_propertyunit"
        differs = " OR ".join(
            [
                f'{unit}."use" <> i."use"',
                f"{unit}.delivered <> i.delivered",
                *(f"{unit}.{column} IS DISTINCT FROM ({case})" for column, case in AREA_CASES.items()),
            ]
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.counts["units_updated"] = self.execute(
            f'UPDATE {unit} SET "use" = i."use", '
            + "".join(f"{column} = {case}, " for column, case in AREA_CASES.items())
            + "area = i.area, area_source = i.area_source, delivered = i.delivered, updated_at = %s "
            f"FROM import_unit i WHERE {unit}.id = i.unit_id AND NOT i.is_new AND ({differs})",
            [now],
        )
        self.counts["units_created"] = _insert_select(
            self.cursor,
            PropertyUnit,
            {
                "id": "i.unit_id",
                "building_id": "i.building_id",
                "stairway": "i.stairway",
                "room": "i.room",
                "estate_id": "%s",
                "use": 'i."use"',
                **AREA_CASES,
                "area": "i.area",
                "area_source": "i.area_source",
                "delivered": "i.delivered",
            },
            "FROM import_unit i WHERE i.is_new",
            [],
            leading=[self.estate.pk],
        )

    def people(self) -> None:
        """Update a known person's changed name or phone; create the new people."""
        # A new phone replaces the old one; a row without a phone keeps the one on record.
        new_phone = "(o.phone_hash <> '' AND o.phone_hash <> governance_person.phone_hash)"
        self.counts["persons_updated"] = self.execute(
            "UPDATE governance_person SET name = o.name, "
            f"phone = CASE WHEN {new_phone} THEN o.phone_token ELSE governance_person.phone END, "
            f"phone_hash = CASE WHEN {new_phone} THEN o.phone_hash ELSE governance_person.phone_hash END "
            "FROM import_owner o WHERE governance_person.id = o.person_id AND NOT o.person_new "
            f"AND (governance_person.name <> o.name OR {new_phone})"
        )
        self.counts["persons_created"] = _insert_select(
            self.cursor,
            Person,
            {
                "id": "person_id",
                "name": "name",
                "id_number": "id_token",
                "id_number_hash": "owner_hash",
                "phone": "phone_token",
                "phone_hash": "phone_hash",
                "place_id": "%s",
            },
            "FROM import_owner WHERE person_new",
            [],
            leading=[self.estate.pk],
        )

    def owners(self) -> None:
        """Update a known organization's changed name or developer flag; create the new owners."""
        self.counts["owners_updated"] = self.execute(
            "UPDATE residents_owner SET org_name = i.name, is_developer = i.is_developer FROM import_owner i "
            "WHERE residents_owner.id = i.owner_id AND NOT i.owner_new AND i.kind = %s "
            "AND (residents_owner.org_name <> i.name OR residents_owner.is_developer <> i.is_developer)",
            [OwnerKind.ORGANIZATION],
        )
        person = f"kind = '{OwnerKind.PERSON}'"
        self.counts["owners_created"] = _insert_select(
            self.cursor,
            Owner,
            {
                "id": "owner_id",
                "kind": "kind",
                "person_id": "person_id",
                "org_name": f"CASE WHEN {person} THEN '' ELSE name END",
                "credit_code": f"CASE WHEN {person} THEN '' ELSE code END",
                "credit_code_hash": f"CASE WHEN {person} THEN '' ELSE owner_hash END",
                "is_developer": "is_developer",
                "place_id": "%s",
            },
            "FROM import_owner WHERE owner_new",
            [],
            leading=[self.estate.pk],
        )

    def ownerships(self) -> None:
        """End and start ownerships where a unit's owners (or shares) differ from the file."""
        on = self.on
        self.execute(
            "INSERT INTO import_holding SELECT u.unit_id, o.owner_id, r.share, r.area_source = %s FROM ("
            "  SELECT owner_hash, share, area_source,"
            "    MIN(line) OVER (PARTITION BY building_id, stairway, room) AS unit_line"
            "  FROM residents_importrow WHERE batch = %s) r "
            "JOIN import_unit u ON u.line = r.unit_line JOIN import_owner o ON o.owner_hash = r.owner_hash",
            [AreaSource.REGISTERED, self.batch],
        )
        self.execute("CREATE INDEX import_holding_unit ON import_holding (unit_id, owner_id)")
        # A unit changes hands when an owner or share of the file is not in force on the day,
        # or one in force is not in the file.
        self.counts["units_changing_hands"] = self.execute(
            "INSERT INTO import_changed (unit_id) "
            "SELECT w.unit_id FROM import_holding w WHERE NOT EXISTS ("
            "  SELECT 1 FROM residents_ownership h WHERE h.unit_id = w.unit_id AND h.owner_id = w.owner_id"
            f"  AND h.share IS NOT DISTINCT FROM w.share AND {_in_force('h')}) "
            "UNION "
            "SELECT h.unit_id FROM residents_ownership h "
            f"WHERE h.unit_id IN (SELECT unit_id FROM import_holding) AND {_in_force('h')} AND NOT EXISTS ("
            "  SELECT 1 FROM import_holding w WHERE w.unit_id = h.unit_id AND w.owner_id = h.owner_id"
            "  AND w.share IS NOT DISTINCT FROM h.share)",
            [on, on, on, on],
        )
        if not self.counts["units_changing_hands"]:
            return
        changed = "unit_id IN (SELECT unit_id FROM import_changed)"
        # An ownership that started on the import's own day is a same-day correction, not history.
        self.counts["ownerships_corrected"] = self.execute(
            f"DELETE FROM residents_ownership WHERE {changed} AND start >= %s AND {_in_force()}", [on, on, on]
        )
        self.counts["ownerships_ended"] = self.execute(
            f'UPDATE residents_ownership SET "end" = %s WHERE {changed} AND start < %s AND {_in_force()}',
            [on, on, on, on],
        )
        self.counts["ownerships_started"] = _insert_select(
            self.cursor,
            Ownership,
            {
                "unit_id": "unit_id",
                "owner_id": "owner_id",
                "start": "%s",
                "end": "NULL",
                "share": "share",
                "registered": "registered",
            },
            f"FROM import_holding WHERE {changed}",
            [],
            leading=[on],
        )
        self.cursor.execute("SELECT unit_id FROM import_changed ORDER BY unit_id LIMIT 1000")
        self.changed_units = [unit_id for (unit_id,) in self.cursor.fetchall()]


def write(
    estate: Place, report: Report, *, on: datetime.date, actor, job: ImportJob | None = None, progress=None
) -> dict:
    """Write a validated register in one transaction, in set-based SQL; return what changed."""
    progress = progress or (lambda n: None)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # One import per estate at a time: a second would race for the same natural keys.
            Place.objects.select_for_update().filter(pk=estate.pk).first()
            if connection.vendor == "postgresql":
                # Room for the sorts and hashes of a whole file, in memory; compiling these few large
                # statements (JIT) costs more than it saves. Both only until the end of the write.
                cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
                settings_before = cursor.fetchone()
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
            writer = _Writer(cursor, estate, on, report.batch)
            writer.create_temp_tables()
            writer.stage()
            # Progress in quarters: units, people, owners, ownerships (each one pass over the file's rows).
            for step, part in enumerate((writer.units, writer.people, writer.owners, writer.ownerships), start=1):
                part()
                progress(report.units * step // 4)
            writer.drop_temp_tables()
            if connection.vendor == "postgresql":  # for an enclosing transaction's later queries
                cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", settings_before)
            summary = {"rows": report.rows, "units": report.units, "on": on.isoformat(), **writer.counts}
            audit_record(
                actor=actor,
                action=ResidentsEvent.REGISTER_IMPORT,
                obj=job,
                place=estate,
                summary=_("导入登记册：%(units)s 户，新增 %(created)s 户，%(changed)s 户产权变更")
                % {
                    "units": report.units,
                    "created": writer.counts["units_created"],
                    "changed": writer.counts["units_changing_hands"],
                },
                data={**summary, "changed_unit_ids": writer.changed_units},
            )
            discard(report)
    except Exception:
        if not connection.in_atomic_block:  # the staged rows were committed by ``validate``
            discard(report)
        raise
    return summary


def import_register(
    fh, name: str, estate: Place, *, actor=SYSTEM, on: datetime.date | None = None
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


def run_job(*, job: ImportJob) -> ImportJob:
    """Run one import job: claim it, validate, write, and record the outcome on the job row.

    The writes are recorded as done by the user who submitted the file (the system for a job
    queued by a command).
    """
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
                actor=job.created_by or SYSTEM,
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
