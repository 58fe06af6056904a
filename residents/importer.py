"""Bulk import of an estate's register from CSV (UTF-8 with or without BOM, or GB18030) or XLSX.

Two passes. The first streams the file row by row (the standard ``csv`` reader, or openpyxl
in read-only mode: neither holds the sheet in memory), checks every row and the rows
against each other, and keeps one compact entry per unit and per owner. A file with any
error imports nothing and yields a report naming each bad line. The second pass writes the
whole register in one transaction with a fixed number of queries per batch: new rows go in
with PostgreSQL ``COPY`` (``bulk_create`` elsewhere), changed units are updated by their
natural key (estate, building, stairway, room), and a unit whose owners changed has its
ownerships ended and new ones started on the import's date. Importing the same file again
finds nothing to change.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import EncryptedCharField, encrypt, keyed_hash, mask_id_number
from governance.audit import audit_record
from governance.models import Person, Place, PlaceKind
from residents.identifiers import is_credit_code, is_resident_id
from residents.models import (
    AreaSource,
    ImportJob,
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
MAX_AREA = Decimal("99999999.99")


class RegisterFileError(Exception):
    """The file cannot be read at all (not CSV or XLSX, or no header)."""


@dataclass(slots=True)
class UnitSpec:
    line: int
    use: str
    area: Decimal
    source: str
    delivered: bool
    owners: list = field(default_factory=list)  # [(owner_key, share or None)]
    share_sum: Decimal = Decimal(0)


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
    units: dict = field(default_factory=dict)
    owners: dict = field(default_factory=dict)

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
    if use not in UnitUse.values:
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
    if source not in AreaSource.values:
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


def _check_against_others(line: int, parsed, report: Report) -> None:
    key, use, area, source, delivered, owner, share = parsed
    known = report.owners.get(owner.ident)
    if known is None:
        report.owners[owner.ident] = owner
    elif known.name != owner.name or known.is_developer != owner.is_developer:
        report.add(
            line,
            "owner_name",
            _("证件号码与第 %(line)s 行相同，但姓名或是否建设单位不同。") % {"line": known.line},
        )
        return
    unit = report.units.get(key)
    if unit is None:
        unit = report.units[key] = UnitSpec(line, use, area, source, delivered)
    else:
        for column, mine, theirs, label in (
            ("area", area, unit.area, _("面积")),
            ("area_source", source, unit.source, _("面积来源")),
            ("use", use, unit.use, _("用途")),
            ("delivered", delivered, unit.delivered, _("是否交付")),
        ):
            if mine != theirs:
                report.add(
                    line,
                    column,
                    _("与第 %(line)s 行是同一房屋，但%(label)s不同（%(theirs)s 与 %(mine)s）。")
                    % {"line": unit.line, "label": label, "theirs": theirs, "mine": mine},
                )
                return
        if any(k == owner.ident for k, _s in unit.owners):
            report.add(
                line, "owner_id_number", _("与第 %(line)s 行重复：同一业主重复登记同一房屋。") % {"line": unit.line}
            )
            return
    if share is not None:
        unit.share_sum += share
        if unit.share_sum > 1:
            report.add(line, "share", _("该房屋各共有人的份额合计超过 1。"))
            return
    unit.owners.append((owner.ident, share))


def validate(fh, name: str, estate: Place, progress=None) -> Report:
    """Check every row of a register file for ``estate``; the report names each bad line and why."""
    report = Report()
    buildings = dict(Place.objects.filter(kind=PlaceKind.BUILDING, estate=estate).values_list("name", "id"))
    try:
        for line, row in read_rows(fh, name):
            report.rows += 1
            parsed = _check_row(line, row, buildings, estate, report)
            if parsed is not None:
                _check_against_others(line, parsed, report)
            if progress and report.rows % BATCH == 0:
                progress(report.rows)
    except RegisterFileError as exc:
        report.add(1, "", str(exc))
    except (UnicodeDecodeError, csv.Error) as exc:
        report.add(report.rows + 2, "", _("无法读取文件：%s") % exc)
    if report.rows == 0 and report.ok:
        report.add(1, "", _("文件中没有数据行。"))
    return report


# Writing ----------------------------------------------------------------------------------------------


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def insert_rows(model, columns: list[str], rows: list[tuple]) -> list[int]:
    """Insert rows given as tuples of ``columns`` (attribute names, clear values); return their new ids.

    On PostgreSQL: ids drawn from the sequence in one query, then ``COPY`` (encrypted
    columns are encrypted here, other columns take their model default). Elsewhere:
    ``bulk_create``. No model instances on the fast path: building them costs more than
    the database's work.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=1000)
        return [o.pk for o in objs]
    meta = model._meta
    given = [meta.get_field(c) for c in columns]
    now = timezone.now()
    fixed = []
    for f in meta.concrete_fields:
        if f.primary_key or f in given:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fixed.append((f, now))
        else:
            fixed.append((f, f.get_db_prep_save(f.get_default(), connection)))
    convert = [encrypt if isinstance(f, EncryptedCharField) else None for f in given]
    needs_convert = any(convert)
    extra = tuple(v for _f, v in fixed)
    names = ", ".join(connection.ops.quote_name(f.column) for f in [*given, *(f for f, _v in fixed)])
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [meta.db_table, len(rows)]
        )
        ids = [r[0] for r in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {table} (id, {names}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                if needs_convert:
                    row = tuple(c(v) if c else v for c, v in zip(convert, row, strict=True))
                copy.write_row((pk, *row, *extra))
    return ids


def _area_fields(spec: UnitSpec) -> dict:
    return {
        "registered_area": spec.area if spec.source == AreaSource.REGISTERED else None,
        "surveyed_area": spec.area if spec.source == AreaSource.SURVEYED else None,
        "contract_area": spec.area if spec.source == AreaSource.CONTRACT else None,
        "area": spec.area,
        "area_source": spec.source,
        "use": spec.use,
        "delivered": spec.delivered,
    }


UNIT_COMPARED = ("use", "registered_area", "surveyed_area", "contract_area", "delivered")
UNIT_UPDATED = [*UNIT_COMPARED, "area", "area_source", "updated_at"]
UNIT_VALUES = ("use", "registered_area", "surveyed_area", "contract_area", "area", "area_source", "delivered")
UNIT_COLUMNS = ["building_id", "stairway", "room", "estate_id", *UNIT_VALUES]


def _write_units(estate: Place, report: Report, progress) -> tuple[dict, dict]:
    """Create new units and update changed ones; return unit ids by key, and the counts."""
    existing = {
        (b, s, r): (pk, vals)
        for pk, b, s, r, *vals in PropertyUnit.objects.filter(estate=estate)
        .order_by()
        .values_list("id", "building_id", "stairway", "room", *UNIT_COMPARED)
    }
    ids: dict = {}
    to_create, to_update = [], []
    now = timezone.now()
    for key, spec in report.units.items():
        values = _area_fields(spec)
        if key in existing:
            pk, current = existing[key]
            ids[key] = pk
            if tuple(values[f] for f in UNIT_COMPARED) != tuple(current):
                to_update.append(PropertyUnit(pk=pk, updated_at=now, **values))
        else:
            to_create.append((key, tuple(values[f] for f in UNIT_VALUES)))
    written = 0
    for batch in _chunks(to_create):
        new_ids = insert_rows(PropertyUnit, UNIT_COLUMNS, [(*key, estate.pk, *values) for key, values in batch])
        ids.update(zip((key for key, _v in batch), new_ids, strict=True))
        written += len(batch)
        progress(written)
    for batch in _chunks(to_update):
        PropertyUnit.objects.bulk_update(batch, UNIT_UPDATED)
    return ids, {"units_created": len(to_create), "units_updated": len(to_update)}


def _matching(model, column: str, values: list, fields: tuple[str, ...]) -> list[tuple]:
    """Rows of ``model`` whose ``column`` is one of ``values``, as ``(column, *fields)`` tuples.

    On PostgreSQL one query with the values as a single array parameter (``= ANY``): binding
    100,000 separate parameters of an ``IN`` list costs seconds on the client.
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


PERSON_COLUMNS = ["name", "id_number", "id_number_hash", "phone", "phone_hash", "place_id"]
OWNER_COLUMNS = ["kind", "person_id", "org_name", "credit_code", "credit_code_hash", "is_developer", "place_id"]
OWNERSHIP_COLUMNS = ["unit_id", "owner_id", "start", "end", "share", "registered"]


def _write_owners(estate: Place, report: Report) -> tuple[dict, dict]:
    """Find or create the owner of each identifier (persons by ID-number hash); return owner ids by identifier."""
    persons = {k: o for k, o in report.owners.items() if o.kind == OwnerKind.PERSON}
    orgs = {k: o for k, o in report.owners.items() if o.kind == OwnerKind.ORGANIZATION}
    owner_ids: dict[str, int] = {}
    counts = {"persons_created": 0, "persons_updated": 0, "owners_created": 0, "owners_updated": 0}

    hash_of = {k: keyed_hash(k) for k in persons}
    found: dict[str, tuple] = {}
    for h, pk, name, phone_hash in _matching(
        Person, "id_number_hash", list(hash_of.values()), ("id", "name", "phone_hash")
    ):
        found.setdefault(h, (pk, name, phone_hash))
    new_people, changed_people = [], []
    person_of: dict[str, int] = {}
    for key, spec in persons.items():
        hit = found.get(hash_of[key])
        if hit is None:
            new_people.append((key, (spec.name, key, hash_of[key], spec.phone, keyed_hash(spec.phone), estate.pk)))
            continue
        pk, name, phone_hash = hit
        person_of[key] = pk
        phone_changed = spec.phone and keyed_hash(spec.phone) != phone_hash
        if name != spec.name or phone_changed:
            person = Person(pk=pk, name=spec.name)
            if phone_changed:
                person.set_phone(spec.phone)
            changed_people.append((person, phone_changed))
    for batch in _chunks(new_people):
        new_ids = insert_rows(Person, PERSON_COLUMNS, [row for _k, row in batch])
        person_of.update(zip((k for k, _row in batch), new_ids, strict=True))
    for person, phone_changed in changed_people:
        # Rare (a renamed owner, a new phone): one update each keeps the encrypted columns right.
        fields = ["name", "phone", "phone_hash"] if phone_changed else ["name"]
        person.save(update_fields=fields)
    counts["persons_created"], counts["persons_updated"] = len(new_people), len(changed_people)

    # Only people found already can have an owner record; those just created have none.
    owner_of_person = {
        person_id: pk for person_id, pk in _matching(Owner, "person_id", list(person_of.values()), ("id",))
    }
    new_owners = []
    for key, person_id in person_of.items():
        if person_id in owner_of_person:
            owner_ids[key] = owner_of_person[person_id]
        else:
            new_owners.append((key, (OwnerKind.PERSON, person_id, "", "", "", False, estate.pk)))

    org_hash = {k: keyed_hash(k) for k in orgs}
    org_found = {
        h: (pk, name, dev)
        for h, pk, name, dev in _matching(
            Owner, "credit_code_hash", list(org_hash.values()), ("id", "org_name", "is_developer")
        )
    }
    for key, spec in orgs.items():
        hit = org_found.get(org_hash[key])
        if hit is None:
            row = (OwnerKind.ORGANIZATION, None, spec.name, key, org_hash[key], spec.is_developer, estate.pk)
            new_owners.append((key, row))
            continue
        pk, name, dev = hit
        owner_ids[key] = pk
        if name != spec.name or dev != spec.is_developer:
            Owner.objects.filter(pk=pk).update(org_name=spec.name, is_developer=spec.is_developer)
            counts["owners_updated"] += 1
    for batch in _chunks(new_owners):
        new_ids = insert_rows(Owner, OWNER_COLUMNS, [row for _k, row in batch])
        owner_ids.update(zip((k for k, _row in batch), new_ids, strict=True))
    counts["owners_created"] = len(new_owners)
    return owner_ids, counts


def _write_ownerships(
    estate: Place, report: Report, unit_ids: dict, owner_ids: dict, on: datetime.date
) -> tuple[dict, list]:
    """End and start ownerships where a unit's owners (or shares) differ from the file."""
    current: dict[int, list] = {}
    for pk, unit_id, owner_id, share, start in (
        Ownership.objects.active_on(on)
        .filter(unit__estate=estate)
        .order_by()
        .values_list("id", "unit_id", "owner_id", "share", "start")
    ):
        current.setdefault(unit_id, []).append((pk, owner_id, share, start))
    to_end, to_drop, to_create, changed_units = [], [], [], []
    for key, spec in report.units.items():
        unit_id = unit_ids[key]
        wanted = {owner_ids[k]: share for k, share in spec.owners}
        held = current.get(unit_id, [])
        if {o: s for _pk, o, s, _st in held} == wanted:
            continue
        changed_units.append(unit_id)
        for pk, _o, _s, start in held:
            # An ownership that started on the import's own day is a same-day correction, not history.
            (to_drop if start >= on else to_end).append(pk)
        registered = spec.source == AreaSource.REGISTERED
        to_create.extend((unit_id, o, on, None, share, registered) for o, share in wanted.items())
    for batch in _chunks(to_end):
        Ownership.objects.filter(pk__in=batch).update(end=on)
    for batch in _chunks(to_drop):
        Ownership.objects.filter(pk__in=batch).delete()
    for batch in _chunks(to_create):
        insert_rows(Ownership, OWNERSHIP_COLUMNS, batch)
    counts = {
        "ownerships_started": len(to_create),
        "ownerships_ended": len(to_end),
        "ownerships_corrected": len(to_drop),
        "units_changing_hands": len(changed_units),
    }
    return counts, changed_units


def write(
    estate: Place, report: Report, *, on: datetime.date, actor, job: ImportJob | None = None, progress=None
) -> dict:
    """Write a validated register in one transaction; return what changed."""
    progress = progress or (lambda n: None)
    with transaction.atomic():
        # One import per estate at a time: a second would race for the same natural keys.
        Place.objects.select_for_update().filter(pk=estate.pk).first()
        unit_ids, counts = _write_units(estate, report, progress)
        owner_ids, owner_counts = _write_owners(estate, report)
        ownership_counts, changed_units = _write_ownerships(estate, report, unit_ids, owner_ids, on)
        summary = {
            "rows": report.rows,
            "units": len(report.units),
            "on": on.isoformat(),
            **counts,
            **owner_counts,
            **ownership_counts,
        }
        audit_record(
            actor=actor,
            action="register.import",
            obj=job,
            place=estate,
            summary=_("导入登记册：%(units)s 户，新增 %(created)s 户，%(changed)s 户产权变更")
            % {"units": len(report.units), "created": counts["units_created"], "changed": len(changed_units)},
            data={**summary, "changed_unit_ids": changed_units[:1000]},
        )
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
        progress.set(processed_rows=report.rows, total_rows=report.rows, total_units=len(report.units))
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
            job.written_units, job.state = len(report.units), ImportState.DONE
    except Exception as exc:  # the job row must say it failed, whatever failed
        logger.exception("register import %s failed", job.pk)
        job.state, job.errors, job.error_count = ImportState.FAILED, [{"line": 0, "column": "", "message": str(exc)}], 1
    finally:
        progress.close()
        job.finished_at = timezone.now()
        job.save()
    return job
