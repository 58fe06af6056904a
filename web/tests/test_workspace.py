"""The secretary's workspace: headline figures and the list behind each, gaps, votes, money, fixed queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from committees import services as committee_services
from committees.tests.factories import committee
from elections import services as election_services
from elections.models import Channel
from elections.tests.factories import open_resolution, register
from governance.demo import ensure_place
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db


def test_the_home_page_of_a_secretary_is_the_workspace_of_their_community(cast, login, world):
    page = login(cast["secretary_a"]).get("/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "南桥苑社区" in text and "工作台" in text
    assert "石马河社区" not in text  # another street's community is not in scope


def test_the_secretary_finds_the_estates_lacking_a_committee_in_two_clicks(cast, login, world):
    committee(world["estate_a"])
    lacking = ensure_place(PlaceKind.ESTATE, "无委会小区", world["community_a"])
    client = login(cast["secretary_a"])
    workspace = client.get("/").content.decode()
    link = re.search(r'href="([^"]+)" id="gap-owners_committee"', workspace).group(1).replace("&amp;", "&")
    listing = client.get(link).content.decode()
    assert lacking.name in listing
    assert f'href="/estates/{world["estate_a"].pk}/"' not in listing


def test_the_workspace_counts_the_committee_records_as_the_committee_list_does(cast, login, world):
    committee(world["estate_a"])
    client = login(cast["street_staff"])
    workspace = client.get(f"/?place={world['street_a'].pk}").content.decode()
    overview = client.get(f"/committees/?place={world['street_a'].pk}").content.decode()
    assert re.search(r'<span class="value">1</span><span class="label">本届业委会</span>', workspace)
    assert "本届业委会 1 个" in overview


def test_every_headline_figure_links_to_a_list_that_opens(cast, login, world):
    client = login(cast["street_staff"])
    html = client.get("/").content.decode()
    figures = re.findall(r'<li class="figure[^"]*"><a href="([^"#]+)"', html)
    assert len(figures) >= 8
    for href in figures:
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href


def test_a_place_outside_the_scope_answers_404(cast, login, world):
    assert login(cast["secretary_a"]).get(f"/?place={world['community_b'].pk}").status_code == 404


def test_a_vote_in_progress_shows_its_turnout_by_area_and_owners_against_the_quorum(cast, login, world):
    rows = register(world["building_a1"], [100, 100, 100])
    vote = open_resolution(Place.objects.get(pk=world["estate_a"].pk), title="加装电梯表决")
    for unit, _owner in rows[:2]:
        election_services.ballot_cast(
            vote=vote, channel=Channel.PHONE, unit_id=unit.pk, choice="for", reference="电话", actor=cast["secretary_a"]
        )
    page = login(cast["secretary_a"]).get("/").content.decode()
    assert "加装电梯表决" in page
    assert "2 / 3" in page and "66.67%" in page and "已达法定人数" in page
    live = login(cast["secretary_a"]).get(f"/turnout/?place={world['community_a'].pk}").json()
    assert live[f"owner_share-{vote.pk}"] == "66.67%"


def test_spending_waiting_says_on_whom_it_waits(cast, login, world):
    estate = world["estate_a"]
    accounts = {a.code: a for a in committee_services.ledger_open(estate=estate, actor=SYSTEM)}
    committee_services.spending_request_create(
        estate=estate, payee="绿化公司", purpose=accounts["5109"], amount=Decimal("12000"), actor=SYSTEM
    )
    page = login(cast["secretary_a"]).get("/").content.decode()
    assert "绿化公司" in page and "待业委会" in page


def _estate_with_history(community, n: int) -> Place:
    estate = ensure_place(PlaceKind.ESTATE, f"大范围小区{n}", community)
    ensure_place(PlaceKind.BUILDING, "1栋", estate)
    committee(estate, term_start=datetime.date(2024, 1, 1))
    accounts = {a.code: a for a in committee_services.ledger_open(estate=estate, actor=SYSTEM)}
    committee_services.spending_request_create(
        estate=estate, payee=f"公司{n}", purpose=accounts["5001"], amount=Decimal("500"), actor=SYSTEM
    )
    return estate


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_workspace_runs_as_many_queries_for_a_large_scope_as_for_a_small_one(cast, login, world):
    client = login(cast["street_staff"])
    url = f"/?place={world['street_a'].pk}"
    _estate_with_history(world["community_a"], 0)
    small = _queries(client, url)
    for n in range(1, 9):
        _estate_with_history(world["community_a"], n)
    assert _queries(client, url) == small


def test_the_workspace_stays_within_its_query_budget(cast, login, world, django_assert_max_num_queries):
    for n in range(3):
        _estate_with_history(world["community_a"], n)
    client = login(cast["street_staff"])
    with django_assert_max_num_queries(60):
        client.get(f"/?place={world['street_a'].pk}")


def test_the_estates_list_sorts_by_occupancy_and_searches_by_name(cast, login, world):
    client = login(cast["street_staff"])
    page = client.get(f"/estates/?place={world['street_a'].pk}&q=南方&sort=occupancy").content.decode()
    assert "南方上格林" in page
