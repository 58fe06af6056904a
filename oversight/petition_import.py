"""Reading a year's petition log (the district keeps one as XLSX or CSV) into checked rows, with line errors.

The first row names the columns, in Chinese as the district's log does (or the API's field
names). Every other row is one petition. Nothing is written here: the service writes all rows
or none.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.uploads import limit_for
from governance.models import Place, PlaceKind
from governance.scoping import subtree_q
from oversight.models import PetitionCategory, PetitionChannel, PetitionStatus, Satisfaction

# Column headers: the log's Chinese names and the API's field names.
COLUMNS = {
    "reference": ("编号", "信访件编号", "reference"),
    "received_on": ("受理日期", "日期", "received_on"),
    "place": ("地点", "小区", "社区", "place"),
    "category": ("类别", "category"),
    "channel": ("渠道", "信访渠道", "channel"),
    "summary": ("诉求摘要", "摘要", "summary"),
    "handled_by": ("承办单位", "handled_by"),
    "status": ("状态", "办理状态", "status"),
    "outcome": ("办理结果", "结果", "outcome"),
    "satisfaction": ("满意度", "satisfaction"),
    "petitioner_name": ("信访人", "姓名", "petitioner_name"),
    "petitioner_contact": ("联系方式", "电话", "petitioner_contact"),
}
REQUIRED = ("received_on", "place", "category", "channel", "summary")
MAX_ERRORS = 200


@dataclass
class ParsedLog:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def _choices(enum) -> dict[str, str]:
    """Map each choice's code and label to its code."""
    mapping = {}
    for value, label in enum.choices:
        mapping[str(value).lower()] = value
        mapping[str(label)] = value
    return mapping


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _read_rows(file, kind: str) -> Iterator[list]:
    max_rows = limit_for("petitions").max_rows
    file.seek(0)
    if kind == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(file, read_only=True, data_only=True)
        try:
            for n, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                if n > max_rows + 1:
                    raise ValueError(n)
                yield list(row)
        finally:
            workbook.close()
        return
    raw = file.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("utf-8", errors="replace")
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if n > max_rows + 1:
            raise ValueError(n)
        yield row


class PlaceNames:
    """Resolve a place name in the log to an estate or community under the importing place."""

    def __init__(self, place: Place):
        self.by_name: dict[str, list[Place]] = {}
        self.by_path: dict[str, Place] = {}
        nodes = Place.objects.filter(subtree_q(place), kind__in=(PlaceKind.COMMUNITY, PlaceKind.ESTATE))
        for node in nodes.select_related("parent"):
            self.by_name.setdefault(node.name, []).append(node)
            if node.kind == PlaceKind.ESTATE and node.parent_id:
                self.by_path[f"{node.parent.name}/{node.name}"] = node

    def resolve(self, text: str) -> tuple[Place | None, str | None]:
        text = text.replace("／", "/").strip()
        if "/" in text:
            found = self.by_path.get("/".join(part.strip() for part in text.split("/")[-2:]))
            return (found, None) if found else (None, _("找不到地点“%(name)s”。") % {"name": text})
        candidates = self.by_name.get(text, [])
        if len(candidates) == 1:
            return candidates[0], None
        if not candidates:
            return None, _("找不到地点“%(name)s”（须为本范围内的小区或社区）。") % {"name": text}
        return None, _("地点“%(name)s”有重名，请写作“社区/小区”。") % {"name": text}


def parse_log(file, kind: str, *, place: Place, year: int) -> ParsedLog:
    """Read and check every row of a petition log of ``year`` under ``place``."""
    result = ParsedLog()
    categories, channels = _choices(PetitionCategory), _choices(PetitionChannel)
    statuses, satisfactions = _choices(PetitionStatus), _choices(Satisfaction)
    names = PlaceNames(place)
    rows = _read_rows(file, kind)
    try:
        header = next(rows, None)
        if header is None:
            result.errors.append({"line": 1, "errors": [_("文件是空的。")]})
            return result
        headers = [_text(h) for h in header]
        index = {}
        for key, aliases in COLUMNS.items():
            for alias in aliases:
                if alias in headers:
                    index[key] = headers.index(alias)
                    break
        missing = [COLUMNS[key][0] for key in REQUIRED if key not in index]
        if missing:
            result.errors.append({"line": 1, "errors": [_("缺少列：%(cols)s") % {"cols": "、".join(missing)}]})
            return result
        seen_refs: dict[str, int] = {}
        for line, raw in enumerate(rows, start=2):
            if not any(_text(v) for v in raw):
                continue
            cells = {key: raw[i] if i < len(raw) else None for key, i in index.items()}
            row, errors = _check_row(cells, year, names, categories, channels, statuses, satisfactions)
            ref = row.get("reference")
            if ref:
                if ref in seen_refs:
                    errors.append(_("编号与第%(line)d行重复。") % {"line": seen_refs[ref]})
                seen_refs.setdefault(ref, line)
            if errors:
                if len(result.errors) < MAX_ERRORS:
                    result.errors.append({"line": line, "errors": errors})
                continue
            row["line"] = line
            result.rows.append(row)
    except ValueError as exc:
        result.errors.append(
            {
                "line": exc.args[0],
                "errors": [_("行数超过上限（%(max)d行），请拆分文件。") % {"max": limit_for("petitions").max_rows}],
            }
        )
    return result


def _check_row(cells, year, names, categories, channels, statuses, satisfactions) -> tuple[dict, list[str]]:
    errors = []
    row = {key: _text(cells.get(key)) for key in COLUMNS if key not in ("received_on",)}
    received = _date(cells.get("received_on"))
    if received is None:
        errors.append(_("受理日期无法识别（应为 YYYY-MM-DD）。"))
    elif received.year != year:
        errors.append(_("受理日期 %(day)s 不在 %(year)d 年。") % {"day": received, "year": year})
    row["received_on"] = received
    place, problem = names.resolve(row["place"]) if row["place"] else (None, _("缺少地点。"))
    if problem:
        errors.append(problem)
    row["place"] = place
    for key, mapping, label in (
        ("category", categories, _("类别")),
        ("channel", channels, _("渠道")),
    ):
        value = mapping.get(row[key]) or mapping.get(row[key].lower())
        if value is None:
            errors.append(_("%(label)s“%(value)s”无法识别。") % {"label": label, "value": row[key]})
        row[key] = value
    row["status"] = statuses.get(row["status"]) or statuses.get(row["status"].lower()) if row["status"] else "received"
    if row["status"] is None:
        errors.append(_("状态无法识别。"))
    if row["satisfaction"]:
        value = satisfactions.get(row["satisfaction"]) or satisfactions.get(row["satisfaction"].lower())
        if value is None:
            errors.append(_("满意度“%(value)s”无法识别。") % {"value": row["satisfaction"]})
        row["satisfaction"] = value or ""
    if not row["summary"]:
        errors.append(_("缺少诉求摘要。"))
    for key, limit in (("reference", 64), ("handled_by", 200)):
        if len(row[key]) > limit:
            errors.append(_("“%(col)s”过长。") % {"col": COLUMNS[key][0]})
    return row, errors
