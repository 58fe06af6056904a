"""The two jobs of a vote in Debian's Chromium, against a live server, then checked in the database.

The clerk issues paper serials, seals a box and enters ten ballots (one spoiled) by keyboard at the
desk; the owner, logged out, opens the vote on a 390×844 phone, logs in and is brought back, votes,
sees "you have voted" and finds the receipt on the bulletin. Every page is screenshotted
(``test-screenshots/``), fits its screen (nothing scrolls sideways), keeps the Content Security
Policy and names every control.
"""

import pytest
from playwright.sync_api import expect

from elections.models import Ballot, BallotBox, PaperSerial
from elections.tests.factories import open_resolution, register
from governance.models import Place, Role, RoleAssignment
from governance.tests.factories import UserFactory
from web.tests.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the clerk types from each paper ballot: serial, then the unit, then the marks (1 for, 2 against,
# 3 abstain; 0 a blank or spoiled ballot, which takes part and approves nothing).
MARKS = ["1", "1", "2", "1", "3", "0", "1", "2", "1", "1"]


def _enter_by_keyboard(page, serial: str, unit: str, marks: str) -> None:
    """Serial, Tab, unit, Tab, marks, Enter: the clerk's hands never leave the keyboard."""
    expect(page.locator("#id_e-serial")).to_be_focused()  # the page puts the cursor back on the serial
    page.keyboard.type(serial)
    page.keyboard.press("Tab")
    page.keyboard.type(unit)
    page.keyboard.press("Tab")
    page.keyboard.type(marks)
    page.keyboard.press("Enter")
    expect(page.locator("#recent tbody tr").first).to_contain_text(serial)


def test_the_clerk_issues_serials_seals_the_box_and_enters_ten_ballots_by_keyboard(screen, cast, world):
    rows = register(Place.objects.get(pk=world["building_a1"].pk), [100] * 12)
    vote = open_resolution(Place.objects.get(pk=world["estate_a"].pk), title="加装电梯表决")
    s = screen(cast["clerk"], "clerk")
    s.go("/")  # the clerk lands on the desk
    s.page.get_by_role("link", name="加装电梯表决").click()
    s.page.fill("#id_issue-prefix", "A")
    s.page.fill("#id_issue-first", "1")
    s.page.fill("#id_issue-last", "12")
    s.page.get_by_role("button", name="发放", exact=True).click()
    expect(s.page.locator("#rec-issued")).to_have_text("12")
    s.shot("serials-issued")
    s.page.click("#print-serials")
    expect(s.page.locator("main")).to_contain_text("A0012")
    s.shot("serials-print")
    s.page.go_back()

    s.page.fill("#id_seal-label", "1号箱")
    s.page.fill("#id_seal-witnesses", "张三、李四")
    s.page.get_by_role("button", name="封箱登记").click()
    s.page.select_option("#id_e-box", "1号箱")  # remembered for the entries that follow
    s.page.focus("#id_e-serial")
    for n, marks in enumerate(MARKS, start=1):
        _enter_by_keyboard(s.page, f"A{n:04d}", rows[n - 1][0].label, marks)
    s.page.reload()
    expect(s.page.locator("#rec-returned")).to_have_text("10")
    expect(s.page.locator("#rec-spoiled")).to_have_text("1")
    expect(s.page.locator("#rec-outstanding")).to_have_text("2")
    s.shot("ten-entered")
    phone = screen(cast["clerk"], "clerk-phone", PHONE)
    phone.go(f"/desk/{vote.pk}/")
    phone.shot("desk")

    ballots = list(Ballot.objects.filter(vote=vote).select_related("box").order_by("seq"))
    assert [b.paper_serial for b in ballots] == [f"A{n:04d}" for n in range(1, 11)]
    choice_of = {"1": "for", "2": "against", "3": "abstain", "0": ""}
    assert [b.choice for b in ballots] == [choice_of[m] for m in MARKS]
    spoiled = [b for b in ballots if not b.valid]
    assert [(b.paper_serial, b.invalid_reason, b.choice) for b in spoiled] == [("A0006", "spoiled", "")]
    assert {b.box.label for b in ballots} == {"1号箱"} and {b.entered_by for b in ballots} == {cast["clerk"]}
    assert BallotBox.objects.get(vote=vote).witnesses == "张三、李四"
    assert PaperSerial.objects.filter(vote=vote).count() == 12


def test_the_owner_votes_on_a_phone_sees_it_is_done_and_checks_the_receipt(screen, world):
    rows = register(Place.objects.get(pk=world["building_a1"].pk), [100] * 3)
    unit, owner = rows[0]
    estate = Place.objects.get(pk=world["estate_a"].pk)
    user = UserFactory(username="owner101", person=owner.person)
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT, place=estate)
    vote = open_resolution(estate, title="加装电梯表决")
    s = screen(None, "owner", PHONE)
    s.go(f"/votes/{vote.pk}/")  # logged out: sent to log in, then back to the vote
    assert "/login/" in s.page.url
    s.shot("login")
    s.page.fill("#id_username", "owner101")
    s.page.fill("#id_password", "pass-1234")
    s.page.get_by_role("button", name="登录").click()
    s.page.wait_for_url(f"**/votes/{vote.pk}/")
    expect(s.page.locator("#voters")).to_contain_text(unit.label)
    s.shot("ballot")
    s.page.get_by_label("同意").check()
    s.page.get_by_role("button", name="确认投票").click()
    receipt = s.page.locator("#receipt").inner_text().strip()
    assert len(receipt) == 12
    s.shot("receipt")
    s.go(f"/votes/{vote.pk}/")  # the vote's page, opened again, says it is done
    expect(s.page.locator("#voted")).to_contain_text("您已投票")
    expect(s.page.locator("#ballot")).to_have_count(0)
    s.shot("vote-done")
    s.go("/mine/")
    expect(s.page.locator(f"#vote-{vote.pk} ~ p.big")).to_have_text("✓ 您已投票")
    s.shot("voted")
    s.page.get_by_role("link", name="到公示栏核对您的回执").click()
    s.page.get_by_label("输入您的回执码").fill(receipt)
    s.page.get_by_role("button", name="核对").click()
    expect(s.page.locator("#found")).to_contain_text("已计入")
    s.shot("bulletin")

    ballot = Ballot.objects.get(vote=vote)
    assert ballot.choice == "for" and ballot.channel == "online" and ballot.entry.owners.get().owner == owner
