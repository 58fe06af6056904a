"""The configurable rules as the committees layer reads them: ``governance.rules.rule``, once per district.

A list page or a report reads the same rule for many rows (each project's "major", each
request's approval stages); ``RuleMemo`` asks ``rule`` once per rule and district and
remembers the answer for as long as the memo lives (one request, one report). A district's
rules apply to every place in its tree (``governance.rules``), so the district's tree is the key.
"""

from __future__ import annotations

from typing import Any

from governance.models import Place
from governance.rules import rule


class RuleMemo:
    """Call it as ``rule``: ``memo("KEY", place)``; each rule is looked up once per district tree."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, int | None], Any] = {}

    def __call__(self, key: str, place: Place | None = None) -> Any:
        memo_key = (key, place.tree_id if place is not None else None)
        if memo_key not in self._values:
            self._values[memo_key] = rule(key, place)
        return self._values[memo_key]
