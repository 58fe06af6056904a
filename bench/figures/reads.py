"""Reads of a whole estate or district: the voting-roll API against ``voting_roll()``, and the pages."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench.figures.lists import token_for
from bench.generate import District, user_with_role
from bench.measure import Figure, alternate, median_time
from residents.selectors import voting_roll

ROLL_TARGET = 1.5
PAGE_LIMIT = 0.300


def roll_api(world: District, repeat: int) -> list[Figure]:
    """``GET /api/v1/places/{estate}/voting-roll/`` of the big estate against building the roll in-process."""
    client = Client()
    token = token_for("bench_secretary", "community_secretary", world.community)
    url = f"/api/v1/places/{world.estate.pk}/voting-roll/"
    sizes = {}

    def ours():
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 200, response.content[:200]
        sizes["bytes"] = len(response.content)

    def floor():
        sizes["owners"] = voting_roll(world.estate).total_owners

    with CaptureQueriesContext(connection) as queries:
        ours()
    platform, floor_time = alternate(ours, floor, repeat=max(3, repeat // 2))
    units = world.estate_units
    return [
        Figure(
            key="roll_api",
            title=f"voting-roll API, {units:,}-unit estate ({sizes['owners']:,} counted owners)",
            platform=platform,
            floor=floor_time,
            floor_title="voting_roll() in-process",
            target=ROLL_TARGET,
            extra={"queries": len(queries), "response_bytes": sizes["bytes"]},
        )
    ]


# The pages of the secretary's and the district's daily work: (key, title, role, level, url name, args).
PAGES = (
    ("page_dashboard", "secretary's dashboard", "community_secretary", "community", "dashboard", ()),
    ("page_district_dashboard", "district auditor's dashboard", "district_auditor", "district", "dashboard", ()),
    ("page_estates", "district's estates", "district_auditor", "district", "web:estates", ()),
    ("page_turnout", "district's turnout", "district_auditor", "district", "web:turnout", ()),
    ("page_obligations", "district's four musts", "district_auditor", "district", "web:obligations", ()),
    ("page_petitions", "district's petitions", "district_auditor", "district", "web:petitions", ()),
    ("page_reports", "district report page", "district_auditor", "district", "web:reports", ()),
    ("page_district", "district place page", "district_auditor", "district", "place-detail", ("district",)),
    ("page_estate", "the 20,000-unit estate's page", "community_secretary", "community", "web:estate", ("estate",)),
)


def pages(world: District, repeat: int) -> list[Figure]:
    """Server time of each page that exists, for the 200-estate district (< 300 ms each)."""
    figures = []
    for key, title, role, level, name, args in PAGES:
        try:
            url = reverse(name, args=[getattr(world, a).pk for a in args])
        except NoReverseMatch:
            continue
        client = Client()
        client.force_login(user_with_role(f"bench_{role}", role, getattr(world, level)))
        first = client.get(url)
        if first.status_code != 200:
            continue
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        figures.append(
            Figure(
                key=key,
                title=f"{title} ({url}), {len(world.estate_ids)}-estate district",
                platform=median_time(lambda url=url, client=client: client.get(url), repeat=max(3, repeat // 2)),
                limit=PAGE_LIMIT,
                notes="in-process, session login, the whole stack",
                extra={"queries": len(queries)},
            )
        )
    return figures
