"""District and city roll-ups, and a report build, on the simulated city (``bench.city``)."""

from __future__ import annotations

import datetime
import time

from django.utils import timezone

from bench.city import database_size, generate_city
from bench.measure import Figure, median_time
from governance.selectors import coverage
from oversight.reports import report_figures
from residents.models import PropertyUnit

CITY_PREFIX = "模拟市"


def city(scale: float, repeat: int, log=print) -> list[Figure]:
    """Time the coverage roll-up of one district and of the whole city, and an overview report of a district."""
    prefix = CITY_PREFIX if scale >= 1 else f"{CITY_PREFIX}×{scale:g}"
    started = time.perf_counter()
    made = generate_city(prefix, scale, log=log)
    generated = time.perf_counter() - started
    district = made.districts[0].district
    roots = [d.district for d in made.districts]
    size = {"estates": made.estates, "units": made.units, "districts": len(roots)}
    today = timezone.localdate()
    start, end = datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    figures = [
        Figure(
            key="city_coverage_district",
            title=f"coverage roll-up of one district ({len(made.districts[0].estate_ids)} estates)",
            platform=median_time(lambda: coverage(district), repeat=repeat),
        ),
        Figure(
            key="city_coverage_city",
            title=f"coverage roll-up of the city ({len(roots)} districts, {made.estates:,} estates)",
            platform=median_time(lambda: [coverage(root) for root in roots], repeat=max(3, repeat // 2)),
        ),
        Figure(
            key="city_report_district",
            title="overview report of one district for last year (every section)",
            platform=median_time(lambda: report_figures("overview", district, start, end), repeat=3),
            notes="built by a worker (queue reports); the page only polls",
        ),
    ]
    figures[0].extra = {
        **size,
        "generated_seconds": generated if any(made.seconds.values()) else None,
        "parts_seconds": made.seconds,
        "database_bytes": database_size(),
        "database_units": PropertyUnit.objects.count(),
    }
    return figures
