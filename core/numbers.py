"""Shares as percentages, computed in integers so that no float ever rounds a published figure."""

from __future__ import annotations


def percent(part: int, whole: int, places: int = 2) -> str:
    """Return ``part / whole`` as a percentage string with ``places`` decimals, rounded half up.

    ``percent(1, 3)`` is ``"33.33"``; a share of nothing is ``"0.00"``.
    """
    if not whole:
        return "0." + "0" * places if places else "0"
    scale = 100 * 10**places
    scaled = (part * scale * 2 + whole) // (2 * whole)
    if not places:
        return str(scaled)
    units, fraction = divmod(scaled, 10**places)
    return f"{units}.{fraction:0{places}d}"
