"""The district's reports: their figures (the same the API gives) and the CSV, XLSX and PDF that carry them.

A report is a list of sections; each section is one table with typed columns. The figures are
plain JSON (money and shares as exact decimal text), stored on the report and written to the
file, so that the file, the stored figures and the API's answer for the same scope and period
are one and the same numbers.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import CommitteeStatus, OwnersCommittee
from committees.selectors import committee_summaries
from core.numbers import percent
from core.spreadsheets import safe_cell, safe_row
from governance.models import Place, PlaceKind
from governance.scoping import subtree_q
from governance.selectors import coverage
from oversight.models import Audit, ObligationKind, ReportKind
from oversight.selectors import commissioners, compliance, early_warning, fund_allocations
from oversight.selectors.legal import revenue_by_estate
from oversight.selectors.petitions import percent_points, petition_counts
from residents.selectors import occupancy_rate, party_participation

ZERO = Decimal("0.00")
TEXT, INT, MONEY, PERCENT, BOOL, DATE = "text", "int", "money", "percent", "bool", "date"


def _col(key: str, label: str, kind: str = TEXT) -> dict:
    return {"key": key, "label": str(label), "type": kind}


def _section(key: str, title: str, columns: list[dict], rows: list[list], summary: dict | None = None) -> dict:
    return {"key": key, "title": str(title), "columns": columns, "rows": rows, "summary": summary or {}}


def _estates_in(node: dict) -> list[dict]:
    if node["place"]["kind"] == PlaceKind.ESTATE:
        return [node]
    return [e for child in node.get("children", ()) for e in _estates_in(child)]


def section_coverage(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    tree = coverage(place)
    holders = {row["estate"]["id"]: row["commissioner"] for row in commissioners(place, on=end)}
    rows = []
    for estate in _estates_in(tree):
        parts = estate["parts"]
        holder = holders.get(estate["place"]["id"])
        rows.append(
            [
                estate["place"]["name"],
                bool(estate.get("covered")),
                bool(parts["general_branch"]),
                parts["buildings"],
                parts["buildings_covered"],
                bool(parts["owners_committee"]),
                bool(parts["self_managed"]),
                holder["name"] if holder else "",
            ]
        )
    columns = [
        _col("estate", _("小区")),
        _col("covered", _("全覆盖"), BOOL),
        _col("general_branch", _("小区党总支"), BOOL),
        _col("buildings", _("楼栋数"), INT),
        _col("buildings_covered", _("党小组覆盖楼栋"), INT),
        _col("owners_committee", _("业委会"), BOOL),
        _col("self_managed", _("自治管理"), BOOL),
        _col("commissioner", _("物业管理专员")),
    ]
    with_commissioner = sum(1 for r in rows if r[-1])
    summary = {
        "estates": tree["estates"],
        "covered_estates": tree["covered_estates"],
        "share": tree["share"],
        "estates_with_commissioner": with_commissioner,
    }
    return [_section("coverage", _("党组织覆盖与物业管理专员"), columns, rows, summary)]


def section_committees(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    committees = list(
        OwnersCommittee.objects.filter(
            subtree_q(place, "estate__"), status=CommitteeStatus.CURRENT, term_start__lte=end
        )
        .select_related("estate")
        .order_by("estate__lft")
    )
    summaries = committee_summaries(committees, on=end)
    rows = []
    for c in committees:
        s = summaries[c.pk]
        rows.append(
            [
                c.estate.name,
                s.members,
                s.party_members,
                s.party_member_share,
                s.meets_party_target,
                s.chair_is_secretary,
                c.term_end.isoformat(),
                s.lapsed,
            ]
        )
    members = sum(r[1] for r in rows)
    party = sum(r[2] for r in rows)
    both = sum(1 for r in rows if r[5])
    columns = [
        _col("estate", _("小区")),
        _col("members", _("委员人数"), INT),
        _col("party_members", _("党员人数"), INT),
        _col("party_member_share", _("党员占比（%）"), PERCENT),
        _col("meets_party_target", _("达到党员占比目标"), BOOL),
        _col("chair_is_secretary", _("主任由党组织书记兼任（一肩挑）"), BOOL),
        _col("term_end", _("任期届满"), DATE),
        _col("lapsed", _("已届满未换届"), BOOL),
    ]
    summary = {
        "committees": len(rows),
        "members": members,
        "party_members": party,
        "party_member_share": percent(party, members),
        "chair_is_secretary": both,
        "chair_is_secretary_share": percent(both, len(rows)),
    }
    return [_section("committees", _("业委会构成"), columns, rows, summary)]


def section_compliance(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    figures = compliance(place, start, end)
    figure_columns = [
        _col("obligations", _("应履行"), INT),
        _col("met_on_time", _("按时履行"), INT),
        _col("met_late", _("逾期后履行"), INT),
        _col("overdue_count", _("逾期未履行"), INT),
        _col("waived", _("豁免"), INT),
        _col("pending", _("未到期"), INT),
        _col("share", _("按时履行率（%）"), PERCENT),
    ]
    keys = [c["key"] for c in figure_columns]
    labels = dict(ObligationKind.choices)
    by_kind = [[str(labels[kind]), *(figures["by_kind"][kind][k] for k in keys)] for kind in ObligationKind.values]
    by_kind.append([_("合计"), *(figures[k] for k in keys)])
    by_estate = [[e["estate"]["name"], *(e[k] for k in keys)] for e in figures["estates"]]
    overdue = [
        [o["estate"]["name"], str(labels[o["kind"]]), o["title"], o["due_on"], o["days_overdue"]]
        for o in figures["overdue"]
    ]
    summary = {k: figures[k] for k in keys}
    return [
        _section("compliance", _("四必履职（按类型）"), [_col("kind", _("类型")), *figure_columns], by_kind, summary),
        _section(
            "compliance_estates", _("四必履职（按小区）"), [_col("estate", _("小区")), *figure_columns], by_estate
        ),
        _section(
            "compliance_overdue",
            _("逾期未履行的义务（最早的在前）"),
            [
                _col("estate", _("小区")),
                _col("kind", _("类型")),
                _col("title", _("事项")),
                _col("due_on", _("期限"), DATE),
                _col("days_overdue", _("逾期天数"), INT),
            ],
            overdue,
        ),
    ]


def _estate_names(place: Place) -> dict[int, str]:
    return dict(Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).order_by("lft").values_list("id", "name"))


def section_revenue(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    figures = revenue_by_estate(place, start, end)
    names = _estate_names(place)
    rows = [
        [
            name,
            str(figures[estate_id]["revenue"]),
            str(figures[estate_id]["funds"]),
            str(figures[estate_id]["spending"]),
        ]
        for estate_id, name in names.items()
        if estate_id in figures
    ]
    summary = {
        "revenue": str(sum((Decimal(r[1]) for r in rows), ZERO)),
        "funds": str(sum((Decimal(r[2]) for r in rows), ZERO)),
        "spending": str(sum((Decimal(r[3]) for r in rows), ZERO)),
    }
    columns = [
        _col("estate", _("小区")),
        _col("revenue", _("公共收益（元）"), MONEY),
        _col("funds", _("社区下拨资金（元）"), MONEY),
        _col("spending", _("支出（元）"), MONEY),
    ]
    return [_section("revenue", _("公共收益及使用"), columns, rows, summary)]


def section_funds(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    figures = fund_allocations(place, start, end)
    spent = revenue_by_estate(place, start, end)
    rows = [
        [
            a["allocated_on"],
            a["community"]["name"],
            a["estate"]["name"],
            a["amount"],
            a["purpose"],
            a["ledger_sequence"],
            str(spent.get(a["estate"]["id"], {}).get("spending", ZERO)),
        ]
        for a in figures["allocations"]
    ]
    columns = [
        _col("allocated_on", _("下拨日期"), DATE),
        _col("community", _("社区")),
        _col("estate", _("小区")),
        _col("amount", _("金额（元）"), MONEY),
        _col("purpose", _("用途")),
        _col("ledger_sequence", _("入账凭证号"), INT),
        _col("estate_spending", _("小区同期支出（元）"), MONEY),
    ]
    return [_section("funds", _("社区下拨资金及使用"), columns, rows, {"total": figures["total"]})]


def section_audits(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    audits = list(
        Audit.objects.filter(subtree_q(place, "estate__"), period_start__lte=end, period_end__gte=start)
        .select_related("estate")
        .prefetch_related("actions")
        .order_by("estate__lft", "period_start", "pk")
    )
    rows = []
    for audit in audits:
        actions = list(audit.actions.all())
        rows.append(
            [
                audit.estate.name,
                f"{audit.period_start.isoformat()}—{audit.period_end.isoformat()}",
                audit.auditor,
                str(audit.get_state_display()),
                len(actions),
                sum(1 for a in actions if a.done_on),
                sum(1 for a in actions if not a.done_on and a.due_on < end),
            ]
        )
    columns = [
        _col("estate", _("小区")),
        _col("period", _("审计期间")),
        _col("auditor", _("审计机构")),
        _col("state", _("状态")),
        _col("actions", _("整改事项"), INT),
        _col("actions_done", _("已完成"), INT),
        _col("actions_overdue", _("逾期未完成"), INT),
    ]
    summary = {"audits": len(rows), "actions": sum(r[4] for r in rows), "actions_done": sum(r[5] for r in rows)}
    return [_section("audits", _("审计及整改"), columns, rows, summary)]


def section_petitions(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    years = list(range(start.year, end.year + 1))
    counts = petition_counts(place, [years[0] - 1, *years])
    rows = []
    for year in years:
        total, prop = counts[year]
        total_before, prop_before = counts[year - 1]
        rows.append(
            [str(year), total, prop, percent(prop, total), percent_points(prop, total, prop_before, total_before) or ""]
        )
    columns = [
        _col("year", _("年份")),
        _col("total", _("信访总数"), INT),
        _col("property", _("物业类信访"), INT),
        _col("share", _("物业类占比（%）"), PERCENT),
        _col("change", _("同比变化（百分点）"), PERCENT),
    ]
    return [_section("petitions", _("信访中物业类的占比"), columns, rows)]


def section_early_warning(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    today = min(end, timezone.localdate())
    rows = [
        [e["estate"]["name"], e["community"]["name"], "；".join(r["message"] for r in e["reasons"])]
        for e in early_warning(place, today=today)
    ]
    columns = [_col("estate", _("小区")), _col("community", _("社区")), _col("reasons", _("预警原因"))]
    return [_section("early_warning", _("预警小区"), columns, rows, {"flagged": len(rows)})]


def section_occupancy(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    participation = {row["estate"]: row for row in party_participation(place, on=end)}
    rows = []
    for estate in Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).order_by("lft"):
        rate = occupancy_rate(estate, on=end)
        p = participation.get(estate.pk, {})
        rows.append(
            [
                estate.name,
                rate["units"],
                rate["occupied"],
                rate["rate"],
                p.get("in_service_members", 0),
                p.get("took_part", 0),
                p.get("share", "0.00"),
            ]
        )
    columns = [
        _col("estate", _("小区")),
        _col("units", _("住宅套数"), INT),
        _col("occupied", _("入住套数"), INT),
        _col("occupancy", _("入住率（%）"), PERCENT),
        _col("in_service_members", _("在职党员"), INT),
        _col("took_part", _("参与党员"), INT),
        _col("participation", _("参与率（%）"), PERCENT),
    ]
    units, occupied = sum(r[1] for r in rows), sum(r[2] for r in rows)
    members, took_part = sum(r[4] for r in rows), sum(r[5] for r in rows)
    summary = {
        "occupancy": percent(occupied, units),
        "participation": percent(took_part, members),
    }
    return [_section("occupancy", _("入住率与在职党员参与"), columns, rows, summary)]


SECTIONS: dict[str, Callable[[Place, datetime.date, datetime.date], list[dict]]] = {
    ReportKind.COVERAGE: section_coverage,
    ReportKind.COMMITTEES: section_committees,
    ReportKind.COMPLIANCE: section_compliance,
    ReportKind.REVENUE: section_revenue,
    ReportKind.FUNDS: section_funds,
    ReportKind.AUDITS: section_audits,
    ReportKind.PETITIONS: section_petitions,
    ReportKind.EARLY_WARNING: section_early_warning,
    ReportKind.OCCUPANCY: section_occupancy,
}


def section_builders(kind: str) -> list[Callable]:
    """The section builders of a report kind, in order (the overview has them all)."""
    if kind == ReportKind.OVERVIEW:
        return list(SECTIONS.values())
    return [SECTIONS[kind]]


def report_figures(
    kind: str, place: Place, start: datetime.date, end: datetime.date, *, progress: Callable[[int], None] | None = None
) -> dict:
    """Every figure of a report of ``kind`` for ``place``'s subtree over the period; ``progress`` hears 0–100."""
    builders = section_builders(kind)
    sections = []
    for i, build in enumerate(builders, start=1):
        sections.extend(build(place, start, end))
        if progress:
            progress(i * 90 // len(builders))
    return {
        "kind": kind,
        "title": str(ReportKind(kind).label),
        "place": {"id": place.pk, "name": place.name, "kind": place.kind},
        "start": start.isoformat(),
        "end": end.isoformat(),
        "sections": sections,
    }


# Writers ---------------------------------------------------------------------------------


def _display(value, kind: str):
    if kind == BOOL:
        return _("是") if value else _("否")
    return value


def _title(figures: dict) -> str:
    return _("%(place)s %(title)s（%(start)s 至 %(end)s）") % {
        "place": figures["place"]["name"],
        "title": figures["title"],
        "start": figures["start"],
        "end": figures["end"],
    }


def write_csv(figures: dict) -> bytes:
    """All sections in one CSV: a title line, then each section's title, header and rows, a blank line between."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row([_title(figures)]))
    for section in figures["sections"]:
        writer.writerow([])
        writer.writerow(safe_row([section["title"]]))
        writer.writerow(safe_row([c["label"] for c in section["columns"]]))
        for row in section["rows"]:
            writer.writerow(safe_row(_display(v, c["type"]) for v, c in zip(row, section["columns"], strict=True)))
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, used: set[str]) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    title = title[:28] or "sheet"
    name, n = title, 2
    while name in used:
        name, n = f"{title[:26]}{n}", n + 1
    used.add(name)
    return name


def write_xlsx(figures: dict) -> bytes:
    """One sheet per section: the header, then the rows; money and shares as numbers, counts as integers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    first = workbook.active
    first.title = _("说明")
    first.append([safe_cell(_title(figures))])
    first["A1"].font = Font(bold=True)
    first.append([_("范围"), safe_cell(figures["place"]["name"])])
    # Dates as date cells (figures keep ISO text: the API's, the CSV's and the PDF's are the same).
    first.append(
        [_("期间"), datetime.date.fromisoformat(figures["start"]), datetime.date.fromisoformat(figures["end"])]
    )
    for cell in first[3][1:]:
        cell.number_format = "yyyy-mm-dd"
    used = {first.title}
    for section in figures["sections"]:
        sheet = workbook.create_sheet(_sheet_title(section["title"], used))
        sheet.append([c["label"] for c in section["columns"]])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section["rows"]:
            values = []
            for value, column in zip(row, section["columns"], strict=True):
                if column["type"] in (MONEY, PERCENT) and value not in ("", None):
                    values.append(Decimal(value))
                elif column["type"] == DATE and value not in ("", None):
                    values.append(datetime.date.fromisoformat(value))
                else:
                    values.append(safe_cell(_display(value, column["type"])))
            sheet.append(values)
        for i, column in enumerate(section["columns"], start=1):
            if column["type"] in (MONEY, PERCENT):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "#,##0.00"
            elif column["type"] == DATE:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "yyyy-mm-dd"
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = 16
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CJK_FONT = "STSong-Light"


def write_pdf(figures: dict) -> bytes:
    """A PDF with each section as a table; Chinese in ReportLab's built-in CJK font, numbers in Helvetica."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = CJK_FONT
    cell = styles["BodyText"]
    cell.fontSize, cell.leading = 8, 10
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=_title(figures))
    story = [
        Paragraph(_title(figures), styles["Title"]),
        Paragraph(_("生成时间：%(at)s") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}, styles["Normal"]),
    ]
    for section in figures["sections"]:
        story += [Spacer(1, 12), Paragraph(section["title"], styles["Heading2"])]
        columns = section["columns"]
        data = [[Paragraph(c["label"], cell) for c in columns]]
        numeric = [i for i, c in enumerate(columns) if c["type"] in (INT, MONEY, PERCENT)]
        for row in section["rows"]:
            data.append(
                [
                    str(v) if c["type"] in (INT, MONEY, PERCENT) else Paragraph(str(_display(v, c["type"])), cell)
                    for v, c in zip(row, columns, strict=True)
                ]
            )
        if len(data) == 1:
            data.append([Paragraph(_("（无）"), cell), *([""] * (len(columns) - 1))])
        style = [
            ("FONTNAME", (0, 0), (-1, 0), CJK_FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        for i in numeric:
            style += [("FONTNAME", (i, 1), (i, -1), "Helvetica"), ("ALIGN", (i, 1), (i, -1), "RIGHT")]
        width = doc.width / len(columns)
        story.append(Table(data, colWidths=[width] * len(columns), style=TableStyle(style), repeatRows=1))
    doc.build(story)
    return buffer.getvalue()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
