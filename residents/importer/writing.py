"""Writing a validated register: the staged rows merged into the register in set-based SQL, in one transaction.

A few statements per table, through temporary tables of the file's units, owners and
holdings; nothing proportional to the file passes through Python, so memory stays flat and
the database does its work without a round trip per batch. Portable SQL: PostgreSQL and
SQLite alike. Units are matched by their natural key (estate, building, stairway, room) and
updated where they differ, people by the keyed hash of their ID number, organizations by
that of their credit code; a unit whose owners changed has its ownerships ended and new
ones started on the import's date. Importing the same file again finds nothing to change.

A unit keeps every area source it has (Judicial Interpretation Art. 8): a row adds or
updates only the source it names, and the counted area is the highest-ranked source
present; the summary lists the units whose counted area changed, from what to what, and why.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.audit import audit_record
from governance.models import Person, Place
from residents.events import ResidentsEvent
from residents.importer.staging import batch_param, binary, column_defaults, discard, unit_key, whole_file_sorts
from residents.importer.validation import Report
from residents.models import (
    AREA_PRECEDENCE,
    TWO_PLACES,
    AreaSource,
    ImportJob,
    Owner,
    OwnerKind,
    Ownership,
    PropertyUnit,
    unit_label,
)

# The summary lists at most this many units whose counted area changed (and counts them all).
MAX_LISTED_AREA_CHANGES = 1000


def insert_select(cursor, model, columns: dict[str, str], rest: str, params: list, *, leading=()) -> int:
    """``INSERT INTO`` the model's table ``SELECT`` the given expressions ``rest``; return the rows inserted.

    ``columns`` maps attribute names to SQL expressions, whose placeholders take ``leading``;
    ``rest`` (``FROM ...``) takes ``params``. The model's other columns take their defaults,
    as the ORM would give them.
    """
    meta = model._meta
    extra_columns, extra = column_defaults(model, list(columns))
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
    "import_area_change": (
        "unit_id bigint, old_area numeric(10, 2), old_source varchar(16), new_area numeric(10, 2), "
        "new_source varchar(16), named_source varchar(16)"
    ),
}
# A new unit has the one area source its rows name.
AREA_CASES = {
    f"{source}_area": f"CASE WHEN i.area_source = '{source}' THEN i.area END"
    for source in (AreaSource.REGISTERED, AreaSource.SURVEYED, AreaSource.CONTRACT)
}


def _kept(source: str) -> str:
    """SQL for a unit's ``source`` area after the file: the row's area if it names that source, else the one on record.

    ``u`` is the unit as it is, ``i`` its row in ``import_unit``.
    """
    return f"CASE WHEN i.area_source = '{source}' THEN i.area ELSE u.{source}_area END"


# The counted area and its source after the file: the highest-ranked source present (Art. 8).
NEW_AREA = "COALESCE(" + ", ".join(_kept(source) for source in AREA_PRECEDENCE) + ")"
NEW_SOURCE = (
    "CASE "
    + " ".join(f"WHEN {_kept(source)} IS NOT NULL THEN '{source}'" for source in AREA_PRECEDENCE[:-1])
    + f" ELSE '{AREA_PRECEDENCE[-1]}' END"
)
# The unit's area of the source the row names, as on record before the file.
NAMED_ON_RECORD = (
    "CASE i.area_source " + " ".join(f"WHEN '{source}' THEN u.{source}_area" for source in AREA_PRECEDENCE) + " END"
)


def _area_change(unit_id, building, stairway, room, old_area, old_source, new_area, new_source, named) -> dict:
    """One line of the report of counted areas that changed: which unit, from what to what, and why."""
    labels = dict(AreaSource.choices)
    if old_source == new_source:
        reason = _("文件更新了%(source)s。") % {"source": labels[new_source]}
    else:
        reason = _("文件提供了%(new)s，按司法解释第八条优先于原来计入的%(old)s。") % {
            "new": labels[new_source],
            "old": labels[old_source],
        }
    return {
        "unit_id": unit_id,
        "unit": unit_label(building, stairway, room),
        "from": str(Decimal(str(old_area)).quantize(TWO_PLACES)),  # SQLite hands back floats
        "from_source": old_source,
        "to": str(Decimal(str(new_area)).quantize(TWO_PLACES)),
        "to_source": new_source,
        "source": named,
        "reason": reason,
    }


def _in_force(alias: str = "") -> str:
    """An ownership in force on the import's day (two parameters, the day twice)."""
    p = f"{alias}." if alias else ""
    return f'{p}start <= %s AND ({p}"end" IS NULL OR {p}"end" > %s)'


class _Writer:
    """Merge an import's staged rows into the register with set-based SQL; count what changed."""

    def __init__(self, cursor, estate: Place, on: datetime.date, batch):
        self.cursor, self.estate, self.batch = cursor, estate, batch_param(batch)
        self.on = connection.ops.adapt_datefield_value(on)
        self.counts = dict.fromkeys(
            (
                "units_created", "units_updated", "persons_created", "persons_updated", "owners_created",
                "owners_updated", "ownerships_started", "ownerships_ended", "ownerships_corrected",
                "units_changing_hands", "units_area_changed", "units_area_outranked",
            ),
            0,
        )  # fmt: skip
        self.changed_units: list[int] = []
        self.area_changes: list[dict] = []
        self.existing_units = 0  # units of the file already on record (``units`` counts them)

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
            f"    ROW_NUMBER() OVER (PARTITION BY {unit_key()} ORDER BY line) AS n"
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
            f"        PARTITION BY {binary('owner_hash')} ORDER BY CASE WHEN phone_hash = '' THEN 1 ELSE 0 END, line)"
            "      AS n"
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
        """Update the units whose use, delivery or named area source differ from the file; create the new ones.

        An existing unit keeps the area sources the file does not name; its counted area
        becomes the highest-ranked source present, and each change of it is recorded first.
        """
        self.cursor.execute("SELECT COUNT(*) FROM import_unit WHERE NOT is_new")
        self.existing_units = self.cursor.fetchone()[0]
        if self.existing_units:  # a first import of an estate has none: three passes saved
            self.update_units()
        self.counts["units_created"] = insert_select(
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

    def update_units(self) -> None:
        """Update the existing units whose use, delivery or named area source differ from the file."""
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.record_area_changes()
        self.counts["units_updated"] = self.execute(
            'UPDATE residents_propertyunit AS u SET "use" = i."use", '
            + "".join(f"{source}_area = {_kept(source)}, " for source in AREA_PRECEDENCE)
            + f"area = {NEW_AREA}, area_source = {NEW_SOURCE}, delivered = i.delivered, updated_at = %s "
            "FROM import_unit i WHERE u.id = i.unit_id AND NOT i.is_new "
            f'AND (u."use" <> i."use" OR u.delivered <> i.delivered OR ({NAMED_ON_RECORD}) IS DISTINCT FROM i.area)',
            [now],
        )
        self.cursor.execute(
            "SELECT COUNT(*) FROM import_unit i JOIN residents_propertyunit u ON u.id = i.unit_id "
            "WHERE NOT i.is_new AND u.area_source <> i.area_source"
        )
        self.counts["units_area_outranked"] = self.cursor.fetchone()[0]

    def record_area_changes(self) -> None:
        """Note each existing unit whose counted area or its source the file changes, before the update."""
        self.counts["units_area_changed"] = self.execute(
            "INSERT INTO import_area_change "
            f"SELECT u.id, u.area, u.area_source, {NEW_AREA}, {NEW_SOURCE}, i.area_source "
            "FROM residents_propertyunit u JOIN import_unit i ON u.id = i.unit_id "
            f"WHERE NOT i.is_new AND (u.area <> {NEW_AREA} OR u.area_source <> {NEW_SOURCE})"
        )
        if not self.counts["units_area_changed"]:
            return
        self.cursor.execute(
            "SELECT c.unit_id, b.name, u.stairway, u.room, c.old_area, c.old_source, c.new_area, c.new_source, "
            "c.named_source FROM import_area_change c JOIN residents_propertyunit u ON u.id = c.unit_id "
            "JOIN governance_place b ON b.id = u.building_id ORDER BY c.unit_id LIMIT %s",
            [MAX_LISTED_AREA_CHANGES],
        )
        self.area_changes = [_area_change(*row) for row in self.cursor.fetchall()]

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
        self.counts["persons_created"] = insert_select(
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
        self.counts["owners_created"] = insert_select(
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

    def end_changed_ownerships(self) -> None:
        """Note the units on record whose owners (or shares) differ from the file; end their ownerships in force."""
        on = self.on
        existing = "(SELECT unit_id FROM import_unit WHERE NOT is_new)"
        # A unit changes hands when an owner or share of the file is not in force on the day,
        # or one in force is not in the file.
        changing = self.execute(
            "INSERT INTO import_changed (unit_id) "
            f"SELECT w.unit_id FROM import_holding w WHERE w.unit_id IN {existing} AND NOT EXISTS ("
            "  SELECT 1 FROM residents_ownership h WHERE h.unit_id = w.unit_id AND h.owner_id = w.owner_id"
            f"  AND h.share IS NOT DISTINCT FROM w.share AND {_in_force('h')}) "
            "UNION "
            "SELECT h.unit_id FROM residents_ownership h "
            f"WHERE h.unit_id IN {existing} AND {_in_force('h')} AND NOT EXISTS ("
            "  SELECT 1 FROM import_holding w WHERE w.unit_id = h.unit_id AND w.owner_id = h.owner_id"
            "  AND w.share IS NOT DISTINCT FROM h.share)",
            [on, on, on, on],
        )
        self.counts["units_changing_hands"] = changing
        if not changing:
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

    def ownerships(self) -> None:
        """End and start ownerships where a unit's owners (or shares) differ from the file."""
        on = self.on
        self.execute(
            # Each row finds its unit by the unit's key (one row of ``import_unit`` per key): a hash
            # join, where grouping the rows again by their unit would sort the whole file once more.
            "INSERT INTO import_holding SELECT u.unit_id, o.owner_id, r.share, r.area_source = %s "
            "FROM residents_importrow r "
            "JOIN import_unit u ON u.building_id = r.building_id AND u.stairway = r.stairway AND u.room = r.room "
            "JOIN import_owner o ON o.owner_hash = r.owner_hash WHERE r.batch = %s",
            [AreaSource.REGISTERED, self.batch],
        )
        self.execute("CREATE INDEX import_holding_unit ON import_holding (unit_id, owner_id)")
        if self.existing_units:  # before the new units join ``import_changed``: they have nothing to end
            self.end_changed_ownerships()
        # A new unit has no ownership yet: it changes hands by the file alone, nothing to compare.
        self.counts["units_changing_hands"] += self.execute(
            "INSERT INTO import_changed (unit_id) SELECT unit_id FROM import_unit WHERE is_new"
        )
        if not self.counts["units_changing_hands"]:
            return
        changed = "unit_id IN (SELECT unit_id FROM import_changed)"
        self.counts["ownerships_started"] = insert_select(
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
        with transaction.atomic(), connection.cursor() as cursor, whole_file_sorts(cursor):
            # One import per estate at a time: a second would race for the same natural keys.
            Place.objects.select_for_update().filter(pk=estate.pk).first()
            writer = _Writer(cursor, estate, on, report.batch)
            writer.create_temp_tables()
            writer.stage()
            # Progress in quarters: units, people, owners, ownerships (each one pass over the file's rows).
            for step, part in enumerate((writer.units, writer.people, writer.owners, writer.ownerships), start=1):
                part()
                progress(report.units * step // 4)
            writer.drop_temp_tables()
            summary = {
                "rows": report.rows,
                "units": report.units,
                "on": on.isoformat(),
                **writer.counts,
                "area_changes": writer.area_changes,
            }
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
            discard(report.batch)
    except Exception:
        if not connection.in_atomic_block:  # the staged rows were committed by ``validate``
            discard(report.batch)
        raise
    return summary
