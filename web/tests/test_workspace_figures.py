"""The workspace's figures read once and shared: votes closing today, this year's petition share, the home places."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from elections.models import Vote
from elections.tests.factories import make_vote, open_resolution
from governance.demo import ensure_place
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM
from oversight.selectors import petition_shares
from oversight.selectors.petitions import petition_counts
from oversight.services import petition_create
from residents.tests.factories import PropertyUnitFactory
from web.figures import due_figures, votes_in_progress, workspace

pytestmark = pytest.mark.django_db


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_votes_closing_today_are_the_votes_in_progress_that_close_that_day(world):
    day = timezone.localdate() + datetime.timedelta(days=3)
    today, tomorrow, draft = (
        open_resolution(world["estate_a"]),
        open_resolution(world["estate_b"]),
        make_vote(world["estate_a"]),
    )
    Vote.objects.filter(pk=today.pk).update(closes_at=_at(day, 10))
    Vote.objects.filter(pk=tomorrow.pk).update(closes_at=_at(day + datetime.timedelta(days=1), 0))
    Vote.objects.filter(pk=draft.pk).update(closes_at=_at(day, 11))
    district = Place.objects.get(pk=world["district"].pk)
    shared = due_figures(district, day, voting=[row["vote"] for row in votes_in_progress(district)])
    alone = due_figures(district, day)
    assert [v.pk for v in shared["votes_closing"]] == [v.pk for v in alone["votes_closing"]] == [today.pk]


def test_the_years_petition_share_from_the_five_years_read_is_the_share_read_alone(world):
    district = Place.objects.get(pk=world["district"].pk)
    year = timezone.localdate().year
    for when, category in (
        (f"{year}-01-05", "property"),
        (f"{year}-02-05", "labour"),
        (f"{year - 1}-03-01", "property"),
    ):
        petition_create(
            received_on=datetime.date.fromisoformat(when),
            place=world["estate_a"],
            category=category,
            channel="visit",
            summary="停车位被占",
            actor=SYSTEM,
        )
    counts = petition_counts(district, list(range(year - 4, year + 1)))
    with CaptureQueriesContext(connection) as queries:
        shared = petition_shares(district, year, counts)
    assert len(queries) == 0
    assert shared == petition_shares(district, year) and shared["total"] == 2


def _queries_of_the_workspace(place) -> int:
    with CaptureQueriesContext(connection) as queries:
        workspace(Place.objects.get(pk=place.pk))
    return len(queries)


def test_the_workspace_of_a_district_takes_a_fixed_number_of_queries_whatever_its_size(world):
    open_resolution(world["estate_a"])  # with votes in progress: their turnout is one more query
    few = _queries_of_the_workspace(world["district"])
    # The rules, the votes closing today and the petition share are read with the rest (28 here).
    assert few <= 28
    for n in range(3):
        estate = ensure_place(PlaceKind.ESTATE, f"新小区{n}", world["community_a"])
        building = ensure_place(PlaceKind.BUILDING, "1栋", estate)
        PropertyUnitFactory.create_batch(4, building=building)
        open_resolution(estate)
    assert _queries_of_the_workspace(world["district"]) == few
