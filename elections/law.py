"""The counting rules of docs/domain.md §4 as exact integer arithmetic, and the shape of a result.

Areas enter as ``Decimal`` and are compared in hundredths of a square metre, as integers,
by cross-multiplying: never a float, never a division.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from elections.models import Threshold

CHANNELS = ("online", "phone", "wechat", "central", "mobile_box")


def cents(area: Decimal | int | str | None) -> int:
    """Return an area in hundredths of a square metre, exactly."""
    if area is None:
        return 0
    value = Decimal(area) * 100
    if value != value.to_integral_value():
        raise ValueError(f"area {area} has more than two decimal places")
    return int(value)


def area_str(hundredths: int) -> str:
    """Return hundredths of a square metre as a decimal string with two places."""
    return str((Decimal(hundredths) / 100).quantize(Decimal("0.01")))


def quorum_met(*, voted_area: int, voted_owners: int, total_area: int, total_owners: int) -> bool:
    """At least 2/3 of the area and at least 2/3 of the owners take part ("以上" includes the number)."""
    return 3 * voted_area >= 2 * total_area and 3 * voted_owners >= 2 * total_owners and total_owners > 0


def passes(*, threshold: str, area: int, owners: int, part_area: int, part_owners: int) -> bool:
    """Whether approvals pass: more than half (strictly), or at least three quarters, of both measures."""
    if part_owners == 0:
        return False
    if threshold == Threshold.THREE_QUARTERS:
        return 4 * area >= 3 * part_area and 4 * owners >= 3 * part_owners
    return 2 * area > part_area and 2 * owners > part_owners


@dataclass
class Counts:
    """What a tally aggregates, in integers (areas in hundredths)."""

    total_area: int
    total_owners: int
    voted_area: int = 0
    voted_owners: int = 0
    invalid: int = 0
    # channel -> (ballots, area)
    by_channel: dict | None = None
    # resolution: choice -> (owners, area)
    choices: dict | None = None
    # election: candidate id -> (owners, area)
    approvals: dict | None = None


def decide(
    *,
    kind: str,
    threshold: str,
    seats: int | None,
    candidates: list[dict],
    counts: Counts,
    roll_changes: list[dict] | None = None,
) -> dict:
    """Apply docs/domain.md §4 (and §5.4 for seats) to aggregated counts and return the result's data.

    ``candidates`` are the eligible candidates as ``{"id", "is_party_member"}``. Among
    passing candidates the most-approved win: by approving owners, then approving area;
    a tie across the last seat is reported in ``ties`` and not broken.
    """
    met = quorum_met(
        voted_area=counts.voted_area,
        voted_owners=counts.voted_owners,
        total_area=counts.total_area,
        total_owners=counts.total_owners,
    )
    channels = counts.by_channel or {}
    data: dict = {
        "kind": kind,
        "threshold": threshold,
        "quorum": {
            "total_area": area_str(counts.total_area),
            "total_owners": counts.total_owners,
            "voted_area": area_str(counts.voted_area),
            "voted_owners": counts.voted_owners,
            "met": met,
        },
        "invalid": counts.invalid,
        "by_channel": {
            ch: {
                "ballots": channels.get(ch, (0, 0))[0],
                "owners": channels.get(ch, (0, 0))[0],
                "area": area_str(channels.get(ch, (0, 0))[1]),
            }
            for ch in CHANNELS
        },
        # How the roll changed after it froze (units that changed hands): see docs/elections.md.
        "roll_changes": list(roll_changes or []),
    }
    if kind == "resolution":
        data.update(_resolution_outcome(counts, threshold=threshold, met=met))
    else:
        data.update(_election_outcome(counts, threshold=threshold, met=met, seats=seats or 0, candidates=candidates))
    return data


def _resolution_outcome(counts: Counts, *, threshold: str, met: bool) -> dict:
    """The owners and area for, against and abstaining, and whether the motion passed."""
    choices = counts.choices or {}
    outcome: dict = {}
    for choice in ("for", "against", "abstain"):
        owners, area = choices.get(choice, (0, 0))
        outcome[choice] = {"area": area_str(area), "owners": owners}
    owners, area = choices.get("for", (0, 0))
    outcome["passed"] = met and passes(
        threshold=threshold, area=area, owners=owners, part_area=counts.voted_area, part_owners=counts.voted_owners
    )
    return outcome


def _seat_winners(passing: list[dict], seats: int) -> tuple[list[dict], list[int]]:
    """Fill ``seats`` from the passing candidates, most approved first; a tie across the last seat is not broken."""
    if len(passing) <= seats:
        return passing, []
    if not seats:
        return [], []
    last_key = (passing[seats - 1]["approve_owners"], passing[seats - 1]["approve_area"])
    next_key = (passing[seats]["approve_owners"], passing[seats]["approve_area"])
    if last_key != next_key:
        return passing[:seats], []
    elected = [r for r in passing if (r["approve_owners"], r["approve_area"]) > last_key]
    ties = [r["id"] for r in passing if (r["approve_owners"], r["approve_area"]) == last_key]
    return elected, ties


def _election_outcome(counts: Counts, *, threshold: str, met: bool, seats: int, candidates: list[dict]) -> dict:
    """Each candidate's approvals, who passed and who is elected, ties, vacancies and party members."""
    approvals = counts.approvals or {}
    rows = []
    for cand in candidates:
        owners, area = approvals.get(cand["id"], (0, 0))
        ok = met and passes(
            threshold=threshold, area=area, owners=owners, part_area=counts.voted_area, part_owners=counts.voted_owners
        )
        rows.append(
            {
                "id": cand["id"],
                "approve_area": area,
                "approve_owners": owners,
                "passed": ok,
                "elected": False,
                "is_party_member": bool(cand.get("is_party_member")),
            }
        )
    passing = sorted(
        (r for r in rows if r["passed"]), key=lambda r: (-r["approve_owners"], -r["approve_area"], r["id"])
    )
    elected, ties = _seat_winners(passing, seats)
    for r in elected:
        r["elected"] = True
    tied_seats = seats - len(elected) if ties else 0
    return {
        "seats": seats,
        "candidates": [
            {
                "id": r["id"],
                "approve_area": area_str(r["approve_area"]),
                "approve_owners": r["approve_owners"],
                "passed": r["passed"],
                "elected": r["elected"],
            }
            for r in rows
        ],
        "elected": [r["id"] for r in elected],
        "ties": ties,
        "tied_seats": tied_seats,
        "vacancies": seats - len(elected) - tied_seats,
        "party_members": {
            "candidates": sum(1 for r in rows if r["is_party_member"]),
            "elected": sum(1 for r in elected if r["is_party_member"]),
        },
    }
