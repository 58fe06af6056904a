"""The navigation reaches every page a role may open, and each of its links answers 200 to that user."""

import re

import pytest

pytestmark = pytest.mark.django_db

ROLES = ["admin", "auditor", "reviewer", "street_staff", "secretary_a", "committee_member", "clerk", "resident"]


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S).group(0)
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize("role", ROLES)
def test_every_navigation_link_opens_for_the_user_who_sees_it(role, cast, login):
    client = login(cast[role])
    home = client.get("/")
    assert home.status_code == 200
    links = nav_links(home.content.decode())
    assert links
    for href in links:
        assert client.get(href).status_code == 200, href


def test_the_secretary_reaches_committees_register_votes_reports_and_the_admin(cast, login):
    links = nav_links(login(cast["secretary_a"]).get("/").content.decode())
    for page in ("/committees/", "/register/", "/votes/", "/reports/", "/audit/", "/admin/", "/estates/"):
        assert page in links, page


def test_a_resident_sees_only_their_own_pages_and_the_votes(cast, login):
    links = nav_links(login(cast["resident"]).get("/").content.decode())
    assert "/mine/" in links and "/votes/" in links
    assert not {"/reports/", "/audit/", "/committees/", "/admin/", "/register/", "/register/imports/"} & set(links)


def test_a_clerk_lands_on_the_desk_and_is_not_offered_the_reports(cast, login):
    page = login(cast["clerk"]).get("/")
    assert "录入台" in page.content.decode()
    assert "/reports/" not in nav_links(page.content.decode())


@pytest.mark.parametrize("path", ["/reports/", "/audit/", "/estates/", "/obligations/", "/petitions/", "/spending/"])
def test_pages_of_overseers_are_refused_to_a_resident(path, cast, login):
    assert login(cast["resident"]).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/", "/reports/", "/audit/", "/mine/", "/desk/", "/queue/"])
def test_a_logged_out_visitor_is_sent_to_log_in_and_back(path, login):
    response = login().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
