"""A published statement as PDF (ReportLab, built-in CJK font) and as XLSX (openpyxl).

Both render the statement's frozen ``figures``, never the live ledger. Every cell of the
workbook goes through ``core.spreadsheets.safe_row``: a payee or note typed as a formula
(``=HYPERLINK(...)``) comes out as the text it is, never as a live formula.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Statement
from core.spreadsheets import safe_row

CJK_FONT = "STSong-Light"


def _title(statement: Statement) -> str:
    f = statement.figures
    return _("%(estate)s 公共收益收支公开表（%(start)s 至 %(end)s）") % {
        "estate": f["estate"]["name"],
        "start": f["period_start"],
        "end": f["period_end"],
    }


def _rows(statement: Statement) -> list[tuple[str, str]]:
    f = statement.figures
    rows = [(_("期初余额"), f["opening_balance"])]
    rows += [(_("收入：%(name)s") % {"name": i["name"]}, i["amount"]) for i in f["income"]]
    rows.append((_("收入合计"), f["income_total"]))
    rows += [(_("支出：%(name)s") % {"name": s["name"]}, s["amount"]) for s in f["spending"]]
    rows.append((_("支出合计"), f["spending_total"]))
    if f.get("other_movements") not in (None, "0.00"):
        rows.append((_("其他变动（期初结余调整等）"), f["other_movements"]))
    rows.append((_("期末余额"), f["closing_balance"]))
    return rows


def statement_pdf(statement: Statement) -> bytes:
    """Render the statement as a PDF with a Chinese font that ReportLab ships (no font files needed).

    Text people typed (payees, approvers, what they saw) is escaped: ReportLab reads markup in a paragraph.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = CJK_FONT
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=_title(statement))
    table_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), CJK_FONT),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
        ]
    )
    story = [
        Paragraph(escape(_title(statement)), styles["Title"]),
        Paragraph(
            _("公开时间：%(at)s　数据校验码：%(hash)s")
            % {
                "at": timezone.localtime(statement.published_at).strftime("%Y-%m-%d %H:%M"),
                "hash": statement.figures_hash[:16],
            },
            styles["Normal"],
        ),
        Spacer(1, 12),
        Table([[_("项目"), _("金额（元）")], *_rows(statement)], colWidths=[320, 140], style=table_style),
    ]
    large = statement.figures.get("large_items", [])
    if large:
        story += [Spacer(1, 16), Paragraph(_("大额支出及审批"), styles["Heading2"])]
        data = [[_("日期"), _("收款方"), _("用途"), _("金额（元）"), _("审批")]]
        for item in large:
            approvals = "；".join(
                f"{a['stage_display']} {a['approver']} {a['approved_at'][:10]}" for a in item["approvals"]
            )
            data.append(
                [
                    item["date"],
                    Paragraph(escape(item["payee"]), styles["Normal"]),
                    item["purpose"],
                    item["amount"],
                    Paragraph(escape(approvals), styles["Normal"]),
                ]
            )
        story.append(Table(data, colWidths=[62, 110, 80, 70, 150], style=table_style))
    doc.build(story)
    return buffer.getvalue()


def statement_xlsx(statement: Statement) -> bytes:
    """Render the statement as a workbook: the summary sheet and the large items with their approvals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("收支公开表")
    ws.append(safe_row([_title(statement)]))
    ws["A1"].font = Font(bold=True)
    ws.append(safe_row([_("数据校验码"), statement.figures_hash]))
    # Times are local (Asia/Shanghai) and written as date cells, as everywhere the platform shows them.
    ws.append([_("公开时间"), _local(statement.published_at)])
    ws["B3"].number_format = "yyyy-mm-dd hh:mm"
    ws.append(safe_row([_("项目"), _("金额（元）")]))
    for label, amount in _rows(statement):
        ws.append(safe_row([label, Decimal(amount)]))
    for row in ws.iter_rows(min_row=5, min_col=2, max_col=2):
        for cell in row:
            cell.number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 18
    items = wb.create_sheet(_("大额支出"))
    items.append(
        safe_row(
            [
                _("日期"),
                _("凭证号"),
                _("收款方"),
                _("用途"),
                _("金额（元）"),
                _("环节"),
                _("审批人"),
                _("审批时间"),
                _("审阅材料"),
            ]
        )
    )
    for item in statement.figures.get("large_items", []):
        for a in item["approvals"] or [{}]:
            items.append(
                safe_row(
                    [
                        datetime.date.fromisoformat(item["date"]),
                        item["sequence"],
                        item["payee"],
                        item["purpose"],
                        Decimal(item["amount"]),
                        a.get("stage_display", ""),
                        a.get("approver", ""),
                        datetime.datetime.fromisoformat(a["approved_at"]).replace(tzinfo=None)
                        if a.get("approved_at")
                        else "",
                        a.get("seen", ""),
                    ]
                )
            )
    for row in items.iter_rows(min_row=2):
        row[0].number_format = "yyyy-mm-dd"
        row[7].number_format = "yyyy-mm-dd hh:mm"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _local(moment: datetime.datetime) -> datetime.datetime:
    """An aware moment as the local wall time a spreadsheet cell holds (cells carry no time zone)."""
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def filename(statement: Statement, ext: str) -> str:
    return f"statement-{statement.estate_id}-{statement.period_start:%Y%m%d}-{statement.period_end:%Y%m%d}.{ext}"
