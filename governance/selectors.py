"""Reads of the governance layer that are more than one queryset call."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from core.numbers import percent
from governance.models import Organization, OrgKind, Person, Place, PlaceKind, Post, PostBody, PostKind, User
from governance.scoping import EVERYWHERE, Action, scope_filter, subtree_q

ABOVE_ESTATE = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.TOWN, PlaceKind.COMMUNITY)


COVERAGE_PARTS = (
    "general_branch",
    "buildings",
    "buildings_covered",
    "estates_all_buildings_covered",
    "owners_committee",
    "self_managed",
)


def _coverage_facts(place: Place) -> dict:
    """The per-estate facts coverage is made of, each read in one query over the subtree."""
    in_tree = subtree_q(place)
    # The buildings and those a building group covers, per estate, in one pass (a building may have several groups).
    buildings = {
        row["estate_id"]: row
        for row in Place.objects.filter(in_tree, kind=PlaceKind.BUILDING)
        .order_by()
        .values("estate_id")
        .annotate(
            n=Count("id", distinct=True), covered=Count("id", filter=Q(building_groups__isnull=False), distinct=True)
        )
    }
    return {
        "branch_estates": set(
            Organization.objects.filter(subtree_q(place, "place__"), kind=OrgKind.ESTATE_GENERAL_BRANCH).values_list(
                "place_id", flat=True
            )
        ),
        "buildings": {estate_id: row["n"] for estate_id, row in buildings.items()},
        "covered": {estate_id: row["covered"] for estate_id, row in buildings.items() if row["covered"]},
        # An estate has an owners' committee when the committees layer holds a current committee record
        # for it (committees.OwnersCommittee): the one count of committees everywhere, the committee
        # list's and the reports' too (issue 12 item 6). A committee post alone is not a committee. The
        # record is read through its relation to the place, so that this layer imports nothing above it.
        "committee_estates": set(
            Place.objects.filter(in_tree, kind=PlaceKind.ESTATE, owners_committees__status="current")
            .values_list("pk", flat=True)
            .distinct()
        ),
    }


def _estate_coverage(node: dict, facts: dict) -> dict:
    """One estate's coverage entry: covered or not, what is missing, and its parts."""
    estate_id = node["id"]
    n_buildings = facts["buildings"].get(estate_id, 0)
    n_covered = facts["covered"].get(estate_id, 0)
    has_branch = estate_id in facts["branch_estates"]
    all_covered = n_buildings > 0 and n_covered == n_buildings
    has_committee = estate_id in facts["committee_estates"]
    self_managed = node["self_managed"]
    is_covered = has_branch and all_covered and (has_committee or self_managed)
    checks = (
        ("general_branch", has_branch),
        ("building_groups", all_covered),
        ("owners_committee", has_committee or self_managed),
    )
    return {
        "estates": 1,
        "covered_estates": int(is_covered),
        "covered": is_covered,
        "missing": [name for name, ok in checks if not ok],
        "parts": {
            "general_branch": int(has_branch),
            "buildings": n_buildings,
            "buildings_covered": n_covered,
            "estates_all_buildings_covered": int(all_covered),
            "owners_committee": int(has_committee),
            "self_managed": int(self_managed),
        },
    }


def _roll_up(entry: dict) -> None:
    """Add each child's counts to its parent's, depth first, and compute every node's share."""
    for child in entry.get("children", ()):
        _roll_up(child)
        entry["estates"] += child["estates"]
        entry["covered_estates"] += child["covered_estates"]
        for key, value in child["parts"].items():
            entry["parts"][key] += value
    entry["share"] = percent(entry["covered_estates"], entry["estates"])


def coverage(place: Place) -> dict:
    """Return the coverage of ``place`` (docs/domain.md §3), per estate and rolled up its subtree.

    An estate is covered when it has a general branch, every building is covered by a
    building group, and it has an owners' committee (a current committee record) or a recorded
    self-management arrangement. Runs a fixed number of queries whatever the size of the subtree.
    """
    if place.kind in (PlaceKind.COMPLEX, PlaceKind.BUILDING):
        place = place.estate
    nodes = (
        Place.objects.filter(subtree_q(place), kind__in=(*ABOVE_ESTATE, PlaceKind.ESTATE))
        .order_by("lft")
        .values("id", "name", "kind", "lft", "rght", "parent_id", "self_managed")
    )
    facts = _coverage_facts(place)
    by_id: dict[int, dict] = {}
    roots: list[dict] = []
    for node in nodes:
        entry = {"place": {"id": node["id"], "name": node["name"], "kind": node["kind"]}}
        if node["kind"] == PlaceKind.ESTATE:
            entry.update(_estate_coverage(node, facts))
        else:
            entry.update(estates=0, covered_estates=0, parts=dict.fromkeys(COVERAGE_PARTS, 0), children=[])
        by_id[node["id"]] = entry
        parent = by_id.get(node["parent_id"])
        if parent is not None and "children" in parent:
            parent["children"].append(entry)
        else:
            roots.append(entry)
    for root in roots:
        _roll_up(root)
    result = roots[0]
    result["computed_at"] = timezone.now().isoformat()
    return result


@dataclass(frozen=True)
class MultiPostHolder:
    person: Person
    posts: list[Post]


def multi_post_holders(place: Place, *, on: datetime.date | None = None) -> list[MultiPostHolder]:
    """List the people holding more than one current post in the subtree of ``place`` (一肩挑)."""
    posts = Post.objects.current(on).filter(subtree_q(place, "place__"))
    person_ids = (
        posts.order_by().values("person_id").annotate(n=Count("id")).filter(n__gt=1).values_list("person_id", flat=True)
    )
    grouped: dict[int, list[Post]] = defaultdict(list)
    for post in (
        posts.filter(person_id__in=list(person_ids))
        .select_related("person", "organization", "place")
        .order_by("person__name", "person_id", "body", "kind")
    ):
        grouped[post.person_id].append(post)
    return [MultiPostHolder(person=p[0].person, posts=p) for p in grouped.values()]


def secretary_chair_share(place: Place, *, on: datetime.date | None = None) -> dict:
    """The share of estates whose general-branch secretary also chairs the owners' committee."""
    estates = Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).count()
    current = Post.objects.current(on).filter(subtree_q(place, "place__"), place__kind=PlaceKind.ESTATE)
    secretaries = set(
        current.filter(
            body=PostBody.PARTY, kind=PostKind.SECRETARY, organization__kind=OrgKind.ESTATE_GENERAL_BRANCH
        ).values_list("place_id", "person_id")
    )
    chairs = set(
        current.filter(body=PostBody.OWNERS_COMMITTEE, kind=PostKind.CHAIR).values_list("place_id", "person_id")
    )
    both = {estate_id for estate_id, _person in secretaries & chairs}
    return {
        "estates": estates,
        "estates_secretary_is_chair": len(both),
        "share": percent(len(both), estates),
        "estate_ids": sorted(both),
    }


def users_visible_q(actor) -> Q | None:
    """The filter of the logins ``actor`` may see, or ``None`` for all of them (a superuser).

    A user sees themself, the users holding a role inside the subtree where they may grant
    roles, and the users whose person is known there (a login just made for a new clerk).
    The user list and the role grants both follow this one rule.
    """
    held = scope_filter(User, actor, Action.GRANT, "role_assignments__place__")
    known = scope_filter(User, actor, Action.GRANT, "person__place__")
    if held is EVERYWHERE or known is EVERYWHERE:
        return None
    return Q(pk=actor.pk) | held | known if actor.pk else held | known


def users_visible_to(actor):
    """The logins ``actor`` may see (see ``users_visible_q``)."""
    q = users_visible_q(actor)
    return User.objects.all() if q is None else User.objects.filter(pk__in=User.objects.filter(q).values("pk"))
