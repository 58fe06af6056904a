"""Validating a register file: each row alone, then the rows against each other; the report names each bad line.

The first pass streams the file (``parsing.read_rows``), checks each row, and stages the good
ones (``staging``) with ID and phone numbers as encrypted tokens and keyed hashes, encrypted a
batch at a time. One SQL pass with window functions then checks the rows against each other.
A file with any error imports nothing; its report names each bad line, its column and why (ID
numbers masked).
"""

from __future__ import annotations

import csv
import datetime
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import encrypt_many, keyed_hash_many, mask_id_number
from core.uploads import limit_for
from governance.models import Place, PlaceKind
from residents.identifiers import is_credit_code, is_resident_id
from residents.importer.parsing import RegisterFileError, read_rows
from residents.importer.staging import batch_param, binary, discard, stager, unit_key, whole_file_sorts
from residents.models import TWO_PLACES, AreaSource, ImportRow, OwnerKind, UnitUse, area_refusal

BATCH = 5000
# A report names every bad line; past this many, the stored report keeps the first ones and the count.
MAX_REPORTED_ERRORS = 1000

YES = {"yes", "y", "true", "1", "是"}
NO = {"no", "n", "false", "0", "否"}
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
USES = frozenset(UnitUse.values)
AREA_SOURCES = frozenset(AreaSource.values)
SHARE_PLACES = Decimal("0.0001")


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


# One row alone ----------------------------------------------------------------------------------


def _flag(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in YES else False if v in NO else None


def _decimal(value: str) -> Decimal | None:
    """A finite decimal written in ``value`` (thousands separators allowed), or None."""
    try:
        d = Decimal(value.replace(",", ""))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _check_unit(line: int, row: dict, buildings: dict[str, int], estate: Place, report: Report):
    """The unit's natural key ``(building_id, stairway, room)``, reporting a missing or unknown part."""
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
    return building_id, stairway, room


def _check_area(line: int, row: dict, report: Report) -> Decimal | None:
    """The row's area by the one area rule (``area_refusal``); ``1e26`` or ``NaN`` is a line error, not a crash."""
    raw = row.get("area", "")
    if not raw:
        report.add(line, "area", _("缺少面积。"))
        return None
    area = _decimal(raw)
    if area is None:
        report.add(line, "area", _("面积“%(value)s”不是数字。") % {"value": raw})
        return None
    refusal = area_refusal(area)
    if refusal:
        report.add(line, "area", _("面积“%(value)s”无效：%(reason)s") % {"value": raw, "reason": refusal})
        return None
    return area


def _check_use(line: int, row: dict, report: Report) -> str:
    use = row.get("use", "").lower()
    if use not in USES:
        report.add(
            line, "use", _("用途“%(value)s”无效，应为 residential、commercial、parking 或 other。") % {"value": use}
        )
    return use


def _check_source_and_delivery(line: int, row: dict, report: Report) -> tuple[str, bool | None]:
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
    return source, delivered


def _owner_kind(line: int, ident: str, is_developer: bool | None, report: Report) -> str | None:
    """A person for a valid resident ID, an organization for a valid credit code; else report why not."""
    if not ident:
        report.add(line, "owner_id_number", _("缺少证件号码（身份证号或统一社会信用代码）。"))
    elif not is_developer and is_resident_id(ident):
        return OwnerKind.PERSON
    elif is_credit_code(ident):
        return OwnerKind.ORGANIZATION
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
    return None


def _check_owner(line: int, row: dict, report: Report) -> OwnerSpec:
    """The row's owner: name, ID number or credit code, phone, developer flag."""
    is_developer = _flag(row.get("is_developer", ""))
    if is_developer is None:
        report.add(line, "is_developer", _("是否建设单位应为 yes 或 no。"))
    owner_name = row.get("owner_name", "")
    if not owner_name:
        report.add(line, "owner_name", _("缺少业主姓名或单位名称。"))
    elif len(owner_name) > 100:
        report.add(line, "owner_name", _("业主姓名过长（最多 100 字）。"))
    ident = "".join(row.get("owner_id_number", "").split()).upper()
    kind = _owner_kind(line, ident, is_developer, report)
    phone = "".join(row.get("owner_phone", "").split())
    if phone and not PHONE_RE.match(phone):
        report.add(line, "owner_phone", _("手机号或电话号码格式不正确。"))
    return OwnerSpec(line, kind, owner_name, ident, phone, bool(is_developer))


def _check_share(line: int, row: dict, report: Report) -> Decimal | None:
    """A co-owner's share: 0 < share ≤ 1, four decimals at most; empty for a sole owner."""
    raw = row.get("share", "")
    if not raw:
        return None
    share = _decimal(raw)
    try:
        valid = share is not None and 0 < share <= 1 and share == share.quantize(SHARE_PLACES)
    except InvalidOperation:
        valid = False
    if not valid:
        report.add(line, "share", _("共有份额“%(value)s”应为 0 到 1 之间、最多四位小数的数。") % {"value": raw})
        return None
    return share


def _check_row(line: int, row: dict, buildings: dict[str, int], estate: Place, report: Report):
    """Check one row alone; return the parsed values, or None after reporting its errors."""
    errors_before = report.error_count
    key = _check_unit(line, row, buildings, estate, report)
    use = _check_use(line, row, report)
    area = _check_area(line, row, report)
    source, delivered = _check_source_and_delivery(line, row, report)
    owner = _check_owner(line, row, report)
    share = _check_share(line, row, report)
    if report.error_count != errors_before:
        return None
    return key, use, area, source, delivered, owner, share


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


# The rows against each other ------------------------------------------------------------------------

# The checks across rows, in one pass over the staged rows: the same room with different
# attributes, the same owner twice on a unit, co-owners' shares above 1, one ID number
# under two names. Portable SQL (window functions): PostgreSQL and SQLite alike. The rows are
# grouped by their keys' bytes (``binary``), which sorts several times faster than a collation.
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
  WINDOW u AS (PARTITION BY {unit} ORDER BY line ROWS UNBOUNDED PRECEDING),
         uo AS (PARTITION BY {unit}, {owner} ORDER BY line ROWS UNBOUNDED PRECEDING),
         o AS (PARTITION BY {owner} ORDER BY line ROWS UNBOUNDED PRECEDING)
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
    sql = CROSS_CHECK_SQL.format(use=connection.ops.quote_name("use"), unit=unit_key(), owner=binary("owner_hash"))
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch_param(report.batch)])
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


# The file --------------------------------------------------------------------------------------------


def _stage_rows(fh, name: str, estate: Place, report: Report, progress) -> None:
    """Stream the file, check each row, and stage the good ones a batch at a time (while the file has no error)."""
    buildings = dict(Place.objects.filter(kind=PlaceKind.BUILDING, estate=estate).values_list("name", "id"))
    pending: list[tuple] = []
    with stager() as stage:
        try:
            for line, row in read_rows(fh, name, max_rows=limit_for("register").max_rows):
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
            report.add(exc.line, "", str(exc))
        except (UnicodeDecodeError, csv.Error) as exc:
            report.add(report.rows + 2, "", _("无法读取文件：%s") % exc)
        if report.ok and pending:
            stage(_staged(pending, report.batch))


def validate(fh, name: str, estate: Place, progress=None) -> Report:
    """Check every row of a register file for ``estate``; the report names each bad line and why.

    Good rows are staged (``ImportRow``) in batches as the file streams by, so memory stays
    flat; the checks across rows then run in the database. A report with errors has its
    staged rows discarded already; a good one keeps them for ``write``. On PostgreSQL the
    staging ``COPY`` holds the connection while the file is read: ``progress`` must write
    through another one (as the import job does).
    """
    report = Report(batch=uuid.uuid4())
    # Rows left behind by an import whose process died: no import runs for a day.
    ImportRow.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=1)).delete()
    _stage_rows(fh, name, estate, report, progress)
    if report.rows == 0 and report.ok:
        report.add(1, "", _("文件中没有数据行。"))
    if report.ok:
        with connection.cursor() as cursor, whole_file_sorts(cursor):
            if connection.vendor == "postgresql":
                # The planner's statistics know nothing of the rows just staged; the write's joins need them.
                cursor.execute("ANALYZE residents_importrow (batch)")
            _cross_check(report)
            if report.ok:
                report.units = (
                    ImportRow.objects.filter(batch=report.batch)
                    .values("building_id", "stairway", "room")
                    .distinct()
                    .count()
                )
    if not report.ok:
        report.errors.sort(key=lambda e: e["line"])
        discard(report.batch)
    return report
