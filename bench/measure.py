"""Timing helpers and the shape of a figure: the platform's time beside the floor measured in the same run."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

PAGE = os.sysconf("SC_PAGE_SIZE")
RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclasses.dataclass
class Figure:
    """One benchmark figure: what was timed, the platform's time, the floor's time, and the target ratio.

    ``platform`` and ``floor`` are in seconds, except for rates (``rate=True``: per second, higher
    is better, and the ratio is the platform's share of the floor's rate). ``target`` is the
    largest acceptable ratio (for rates: the smallest acceptable share); ``limit`` an absolute
    bound in seconds where the target is one (the roll freeze, the pages).
    """

    key: str
    title: str
    platform: float
    floor: float | None = None
    floor_title: str = ""
    target: float | None = None
    limit: float | None = None
    rate: bool = False
    unit: str = "s"
    notes: str = ""
    extra: dict = dataclasses.field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.floor:
            return None
        return self.platform / self.floor

    @property
    def met(self) -> bool | None:
        checks = []
        if self.target is not None and self.ratio is not None:
            checks.append(self.ratio >= self.target if self.rate else self.ratio <= self.target)
        if self.limit is not None:
            checks.append(self.platform <= self.limit)
        return all(checks) if checks else None

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data

    def line(self) -> str:
        """One printed line: platform, floor, ratio, target."""
        fmt = _rate if self.rate else _seconds
        parts = [f"{self.title}: {fmt(self.platform)}"]
        if self.floor is not None:
            parts.append(f"floor {fmt(self.floor)} ({self.floor_title})")
            parts.append(f"ratio {self.ratio:.2f}" + (" of the floor's rate" if self.rate else "×"))
        if self.target is not None:
            parts.append(f"target {'≥' if self.rate else '≤'} {self.target:g}" + ("" if self.rate else "×"))
        if self.limit is not None:
            parts.append(f"limit {_seconds(self.limit)}")
        if self.met is not None:
            parts.append("met" if self.met else "NOT MET")
        return " · ".join(parts)


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _rate(value: float) -> str:
    return f"{value:,.0f}/s"


def checkpoint() -> None:
    """Flush the cluster's dirty buffers (``CHECKPOINT``, untimed) so that a side that follows a large write starts
    as the other side does: not beside the checkpointer writing out the earlier figure's data (this cluster's
    ``max_wal_size`` of 1 GB puts a checkpoint inside whichever side comes after a few hundred MB of WAL)."""
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def median_time(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """The median wall time of ``fn`` over ``repeat`` runs, after ``warmup`` runs that are not counted."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def alternate(platform_fn, floor_fn, repeat: int = 5, warmup: int = 1) -> tuple[float, float]:
    """Median times of both, run in turn (platform, floor, platform, ...) so that load drifts hit both alike."""
    for _ in range(warmup):
        platform_fn()
        floor_fn()
    ours, theirs = [], []
    for _ in range(repeat):
        for fn, times in ((platform_fn, ours), (floor_fn, theirs)):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(theirs)


class PeakRSS:
    """Sample the process's resident set size in a thread; report the peak above the start."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak = self.start = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * PAGE

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def above_start_mib(self) -> float:
        return (self.peak - self.start) / 2**20


def machine() -> dict:
    """What the figures were measured on."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    memory = 0
    try:
        with open("/proc/meminfo") as fh:
            memory = int(next(line.split()[1] for line in fh if line.startswith("MemTotal"))) // 2**20
    except (OSError, StopIteration):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server,) = cursor.fetchone()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "python": platform.python_version(),
        "postgresql": server,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_results(figures: list[Figure], *, path: Path = RESULTS, sizes: dict | None = None) -> dict:
    """Write the figures, the date and the machine to ``path`` (JSON); return what was written.

    Figures of an earlier run that this run did not measure (``--only``) are kept, marked with their date.
    """
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    previous = {}
    if path.exists():
        try:
            old = json.loads(path.read_text())
            previous = {f["key"]: {**f, "date": f.get("date", old.get("date"))} for f in old.get("figures", [])}
        except (ValueError, KeyError):
            previous = {}
    fresh = {f.key: {**f.as_dict(), "date": now.isoformat()} for f in figures}
    merged = {**previous, **fresh}
    data = {
        "date": now.isoformat(),
        "machine": machine(),
        "sizes": sizes or {},
        "figures": list(merged.values()),
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return data
