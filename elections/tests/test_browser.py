"""The resident's flow in real Chromium on a phone-sized screen: voting code → notice → ballot → receipt → bulletin."""

import os

import pytest

from elections import services
from elections.models import Ballot
from elections.tests.factories import codes_by_unit, open_resolution

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
@pytest.mark.urls("elections.tests.urls")
@pytest.mark.django_db(transaction=True)
def test_resident_votes_with_a_code_and_finds_the_receipt_on_the_bulletin(live_server, world, cast):
    from playwright.sync_api import sync_playwright

    from elections.tests.factories import register
    from governance.models import Place

    rows = register(world["building_a1"], [100] * 3)
    vote = open_resolution(Place.objects.get(pk=world["estate_a"].pk), title="加装电梯表决")
    codes = codes_by_unit(vote, dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])))
    unit = rows[1][0]

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page.goto(f"{live_server.url}/votes/")
            page.fill("#code", codes[unit.pk])
            page.get_by_role("button", name="下一步").click()
            assert page.locator("#unit").inner_text() == unit.label
            assert "加装电梯表决" in page.locator("h1").inner_text()
            page.get_by_label("同意").check()
            page.get_by_role("button", name="确认投票").click()
            receipt = page.locator("#receipt").inner_text().strip()
            assert len(receipt) == 12
            page.click("#check")
            assert "已计入" in page.locator("#found").inner_text()
        finally:
            browser.close()
    assert Ballot.objects.get(vote=vote).choice == "for"
