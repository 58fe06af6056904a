"""ECharts options built on the server: the page carries them in a ``data-chart`` attribute, ``app.js`` draws them.

Numbers go in as plain JSON numbers made from the exact decimal text the selectors give (a
chart only draws them; every figure is also printed as text beside the chart). Colours meet
WCAG contrast against white.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

ACCENT = "#b0302a"
PALETTE = ["#b0302a", "#1f5fa8", "#22662a", "#8a5200", "#6a3d9a", "#595960"]


def _n(value) -> float | int:
    """A JSON number for the chart from an exact figure (text or Decimal); display only."""
    if value in (None, ""):
        return 0
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def bar(
    categories: list[str],
    series: list[tuple[str, list]],
    *,
    percent: bool = False,
    stack: bool = False,
    line_at=None,
    line_label: str = "",
    horizontal: bool = False,
    ids: list | None = None,
) -> dict:
    """A bar chart: ``series`` is ``[(name, values)]``; ``line_at`` draws a threshold (the quorum line)."""
    value_axis = {
        "type": "value",
        "max": 100 if percent else None,
        "axisLabel": {"formatter": "{value}%" if percent else "{value}"},
    }
    category_axis = {
        "type": "category",
        "data": categories,
        "axisLabel": {"interval": 0, "width": 90, "overflow": "truncate"},
    }
    built = []
    for i, (name, values) in enumerate(series):
        data = [_n(v) for v in values]
        if ids and i == 0:
            data = [{"value": v, "id": pk} for v, pk in zip(data, ids, strict=False)]
        item = {"name": name, "type": "bar", "data": data, "itemStyle": {"color": PALETTE[i % len(PALETTE)]}}
        if stack:
            item["stack"] = "total"
        built.append(item)
    if line_at is not None and built:
        built[0]["markLine"] = {
            "symbol": "none",
            "lineStyle": {"color": "#1d1d1f", "type": "dashed", "width": 2},
            "label": {"formatter": line_label or str(line_at)},
            "data": [{"yAxis" if not horizontal else "xAxis": _n(line_at)}],
        }
    option = {
        "grid": {"left": 8, "right": 16, "top": 30, "bottom": 8, "containLabel": True},
        "legend": {"top": 0} if len(series) > 1 else {"show": False},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": built,
    }
    if option["xAxis"].get("max") is None:
        option["xAxis"].pop("max", None)
    if option["yAxis"].get("max") is None:
        option["yAxis"].pop("max", None)
    return option


def line(categories: list[str], series: list[tuple[str, list]], *, percent: bool = False) -> dict:
    """A line chart over time."""
    return {
        "grid": {"left": 8, "right": 16, "top": 30, "bottom": 8, "containLabel": True},
        "legend": {"top": 0} if len(series) > 1 else {"show": False},
        "xAxis": {"type": "category", "data": categories, "boundaryGap": False},
        "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%" if percent else "{value}"}},
        "series": [
            {
                "name": name,
                "type": "line",
                "data": [_n(v) for v in values],
                "symbolSize": 6,
                "itemStyle": {"color": PALETTE[i % len(PALETTE)]},
                "lineStyle": {"width": 3},
            }
            for i, (name, values) in enumerate(series)
        ],
    }


def donut(parts: list[tuple[str, object]]) -> dict:
    """A ring of shares (covered and not covered, met and overdue)."""
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["45%", "70%"],
                "center": ["50%", "45%"],
                "label": {"formatter": "{b}\n{c}"},
                "data": [
                    {"name": name, "value": _n(value), "itemStyle": {"color": PALETTE[i % len(PALETTE)]}}
                    for i, (name, value) in enumerate(parts)
                ],
            }
        ],
    }


def quorum_bars(votes: list[dict]) -> dict:
    """Turnout of each vote in progress by area and by owners, against the two-thirds quorum line."""
    return bar(
        [v["title"] for v in votes],
        [(_("面积参与率"), [v["area_share"] for v in votes]), (_("人数参与率"), [v["owner_share"] for v in votes])],
        percent=True,
        line_at="66.67",
        line_label=_("法定人数 2/3"),
    )
