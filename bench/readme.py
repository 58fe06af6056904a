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
        "| figure | platform | floor (same run, same data) | ratio | target | met | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in data["figures"]:
        fmt = _rate if f["rate"] else _time
        ratio = "—" if f.get("ratio") is None else (f"{f['ratio']:.0%}" if f["rate"] else f"{f['ratio']:.2f}×")
        met = {True: "yes", False: "**no**", None: "—"}[f.get("met")]
        if f.get("met") is False and _gap(f["key"]):
            met += f": {_gap(f['key'])}"
        floor = fmt(f.get("floor")) + (f" ({f['floor_title']})" if f.get("floor_title") else "")
        title = f["title"] + (f"; {f['notes']}" if f.get("notes") else "")
        load = (f.get("extra") or {}).get("load_average", "—")
        lines.append(f"| {title} | {fmt(f['platform'])} | {floor} | {ratio} | {_target(f)} | {met} | {load} |")
    return "\n".join(lines)


# Why a target is missed, in a line, with the profile in docs/performance.md (keyed by the figure's key or prefix).
GAPS = {
    "scoped_list_": "two round trips (the token with the user's scope, the page with the estate's kept count), DRF's "
    "dispatch, rendering and links against one query and a json.dumps: about 2 ms a request, constant in scope and "
    "page (docs/performance.md, “Scoped lists”)",
    "page_": "a dashboard's thirty small queries and its template (docs/performance.md, “Pages”)",
    "register_import": "encryption and the matching of people the floor does not do, and INSERT … SELECT where the "
    "floor COPYs finished rows; the figure moves with checkpoints and load (docs/performance.md, “Register import”)",
    "roll_freeze": "the database's own floor for these rows (the floor column) is itself above the limit on this "
    "machine; the platform adds the register's read and the digest (docs/performance.md, “Roll freeze”)",
    "tally": "seven statements and three commits beside the count (the close, the claim committed apart for "
    "recovery, the locked read, the settling read, the result), about 10 ms against one GROUP BY "
    "(docs/performance.md, “Tally”)",
    "ballot_intake": "the same middleware plus DRF, the token with its scope, the vote's scoped lookup and the "
    "service's four statements per ballot against one INSERT: about 7.7 ms of the application's CPU per ballot "
    "against 0.7 ms, not the vote's lock, sets the rate (docs/performance.md, “Ballot intake”)",
    "ballot_lock": "one statement writing the ballot's rows (ballot, published head, audit row) and the commit's "
    "flush, against one row (docs/performance.md, “Ballot intake”)",
}


def _gap(key: str) -> str:
    return next((why for prefix, why in GAPS.items() if key == prefix or key.startswith(prefix)), "")


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


CAPACITY_START = "<!-- capacity:start (manage.py bench_readme writes this block) -->"
CAPACITY_END = "<!-- capacity:end -->"
CITY_UNITS = 10_000_000


def capacity(data: dict) -> str:
    """What the figures mean for a deployment, up to a city of ten million units (markdown bullets)."""
    f = {x["key"]: x for x in data["figures"]}
    lines = []
    if "ballot_intake" in f:
        rate = f["ballot_intake"]["platform"]
        load = (f["ballot_intake"].get("extra") or {}).get("load_average")
        lines.append(
            f"- **Ballots**: {rate:,.0f} ballots/s through one 2-core host (4 gunicorn workers and PostgreSQL on the "
            "same cores"
            + (f", the machine shared with other work at load {load}" if load else "")
            + f"), about {rate / 4:,.0f}/s per web process. A vote day on which a tenth of a ten-million-unit "
            f"city's owners vote within the same two hours needs {CITY_UNITS / 10 / 7200:,.0f} ballots/s: "
            f"{max(1, round(CITY_UNITS / 10 / 7200 / max(rate, 1) + 0.5))} such web host(s), or more web processes on "
            "a larger database host."
        )
    if "ballot_lock" in f:
        held = f["ballot_lock"]["platform"]
        if held:
            lines.append(
                f"- **One vote** appends its ballots one at a time (the hash chain has one order): the vote row is "
                f"held {held * 1000:.1f} ms per ballot, so one estate's vote takes at most about {1 / held:,.0f} "
                "ballots/s however many web processes serve it."
            )
    if "tally" in f:
        tally = f["tally"]
        lines.append(
            f"- **Tallies** ({tally['title']}): {tally['platform'] * 1000:,.0f} ms through the task path; a city's "
            "thousands of votes a year are minutes of one `tallies` worker."
        )
    if "roll_freeze" in f:
        lines.append(
            f"- **Opening a vote** freezes its roll: {f['roll_freeze']['platform']:.1f} s per 100,000 units, under "
            "the vote's lock, once per vote."
        )
    if "register_import" in f:
        rows = f["register_import"]["extra"]["rows_per_second"]
        lines.append(
            f"- **Register imports**: {rows:,.0f} rows/s on one `imports` worker, memory flat "
            f"(+{f['register_import']['extra']['peak_mib']:.0f} MiB); a whole ten-million-unit city's registers "
            f"(about {CITY_UNITS * 1.05:,.0f} rows) in {CITY_UNITS * 1.05 / rows / 3600:.1f} hours on one worker, "
            "estates in parallel on several."
        )
    if "city_coverage_city" in f:
        extra = f.get("city_coverage_district", {}).get("extra", {})
        units = extra.get("units") or 0
        size = extra.get("database_bytes")
        line = (
            f"- **Roll-ups and reports**: the coverage of a whole simulated city ({units:,} units) in "
            f"{f['city_coverage_city']['platform'] * 1000:,.0f} ms; a district's overview report in "
            f"{f['city_report_district']['platform']:.1f} s on a `reports` worker."
        )
        all_units = extra.get("database_units") or units
        if size and all_units:
            line += (
                f" The benchmark's database holds {size / 2**30:.1f} GiB for {all_units:,} units with their "
                f"history: about {size / all_units * CITY_UNITS / 2**30:.0f} GiB for ten million."
            )
        lines.append(line)
    return "\n".join(lines) or "(run `make bench`)"


def regenerate_capacity(results: Path = RESULTS, readme: Path = README) -> str:
    data = json.loads(results.read_text())
    text = readme.read_text()
    if CAPACITY_START not in text:
        return ""
    rendered = capacity(data)
    pattern = re.compile(re.escape(CAPACITY_START) + ".*?" + re.escape(CAPACITY_END), re.S)
    readme.write_text(pattern.sub(lambda _m: f"{CAPACITY_START}\n{rendered}\n{CAPACITY_END}", text, count=1))
    return rendered
