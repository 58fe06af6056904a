"""The big pages run a fixed number of queries, whatever the number of rows or estates behind them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from committees import services as committee_services
from committees.tests.factories import committee, income
from governance.demo import ensure_place
from governance.models import PlaceKind
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def _entries(estate, n: int, start: int = 0):
    for i in range(start, start + n):
        income(estate, "10.00", datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 200), memo=f"收入{i}")


@pytest.fixture
def estate(world):
    estate = world["estate_a"]
    committee(estate, n=5)
    committee_services.ledger_open(estate=estate, actor=SYSTEM)
    return estate


def test_the_ledger_tab_does_not_query_per_entry(cast, login, estate):
    client = login(cast["auditor"])
    url = f"/estates/{estate.pk}/ledger/"
    _entries(estate, 3)
    few = _queries(client, url)
    _entries(estate, 40, start=3)
    assert _queries(client, url) == few


def test_the_audit_trail_does_not_query_per_row(cast, login, estate, world):
    client = login(cast["auditor"])
    url = f"/audit/?place={world['district'].pk}"
    few = _queries(client, url)
    _entries(estate, 40)
    assert _queries(client, url) == few


@pytest.mark.parametrize("path", ["/estates/", "/obligations/", "/meetings/", "/spending/", "/committees/"])
def test_lists_of_a_place_do_not_query_per_estate(path, cast, login, world):
    client = login(cast["street_staff"])
    url = f"{path}?place={world['street_a'].pk}"
    _estate_with_a_meeting(world, 0)
    few = _queries(client, url)
    for n in range(1, 9):
        _estate_with_a_meeting(world, n)
    assert _queries(client, url) == few


def _estate_with_a_meeting(world, n: int):
    estate = ensure_place(PlaceKind.ESTATE, f"新小区{n}", world["community_a"])
    committee(estate, n=5)
    committee_services.meeting_create(
        estate=estate,
        kind="assembly",
        title=f"业主大会{n}",
        held_at=datetime.datetime(2026, 3, 1, 19, tzinfo=datetime.UTC),
        actor=SYSTEM,
    )
