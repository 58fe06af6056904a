"""README's benchmark table, regenerated from bench/results.json (``manage.py bench_readme``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.measure import RESULTS

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start (manage.py bench_readme writes this table) -->", "<!-- bench:end -->"


def _time(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}/s"


def _target(figure: dict) -> str:
    parts = []
    if figure.get("target") is not None:
        parts.append(f"≥ {figure['target']:.0%} of the floor's rate" if figure["rate"] else f"≤ {figure['target']:g}×")
    if figure.get("limit") is not None:
        parts.append(f"≤ {_time(figure['limit'])}")
    return ", ".join(parts) or "—"


def table(data: dict) -> str:
    """The markdown of the figures in ``data``: platform, floor, ratio, target, met."""
    machine = data.get("machine", {})
    lines = [
        f"Measured {data['date'][:10]} on {machine.get('cores', '?')} cores ({machine.get('cpu', '?')}), "
        f"{machine.get('memory_gib', '?')} GiB, PostgreSQL {machine.get('postgresql', '?')}, "
        f"Python {machine.get('python', '?')}; load average {machine.get('load_average', '?')} at the end "
        f"(the machine is shared: ratios, measured alternately in one run, are steadier than times).",
        "",
        "| figure | platform | floor (same run, same data) | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for f in data["figures"]:
        fmt = _rate if f["rate"] else _time
        ratio = "—" if f.get("ratio") is None else (f"{f['ratio']:.0%}" if f["rate"] else f"{f['ratio']:.2f}×")
        met = {True: "yes", False: "**no**", None: "—"}[f.get("met")]
        floor = fmt(f.get("floor")) + (f" ({f['floor_title']})" if f.get("floor_title") else "")
        title = f["title"] + (f"; {f['notes']}" if f.get("notes") else "")
        lines.append(f"| {title} | {fmt(f['platform'])} | {floor} | {ratio} | {_target(f)} | {met} |")
    return "\n".join(lines)


def regenerate(results: Path = RESULTS, readme: Path = README) -> str:
    """Rewrite the table between the markers in README; return the new table."""
    data = json.loads(results.read_text())
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"README has no {START} … {END} markers")
    rendered = table(data)
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    readme.write_text(pattern.sub(lambda _m: f"{START}\n{rendered}\n{END}", text, count=1))
    return rendered
