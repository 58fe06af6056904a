"""A full committee election in the demo estate through the API: 10 candidates, 9 seats, all five channels."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from elections.models import Vote
from elections.signals import vote_filed
from elections.tests.factories import VALID_GROUP, register
from governance.models import OrgKind, RoleAssignment
from governance.tests.factories import UserFactory, org
from residents.models import PartyMember

pytestmark = pytest.mark.django_db

CHANNELS = ["online", "phone", "wechat", "central", "mobile_box"]


@pytest.fixture
def register60(world):
    """60 units of 80–120 m² in the demo estate, each with its own owner."""
    areas = [80 + (i % 5) * 10 for i in range(60)]
    return register(world["building_a1"], areas[:30]) + register(world["building_a2"], areas[30:])


def _online_voters(world, rows):
    """Give the owners of ``rows`` a login with the resident role."""
    users = []
    for _unit, owner in rows:
        user = UserFactory(person=owner.person)
        RoleAssignment.objects.create(user=user, role="resident", place=world["estate_a"])
        users.append(user)
    return users


def test_full_election_through_the_api(world, cast, api, register60, django_capture_on_commit_callbacks):
    secretary, clerk = cast["secretary_a"], cast["clerk"]
    now = timezone.now()
    client = api.as_user(secretary)
    created = client.post(
        "/api/v1/votes/",
        {
            "estate": world["estate_a"].pk,
            "kind": "committee_election",
            "title": "第三届业主委员会选举",
            "seats": 9,
            "opens_at": (now - datetime.timedelta(hours=1)).isoformat(),
            "closes_at": (now + datetime.timedelta(days=2)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.data
    vid = created.data["id"]
    base = f"/api/v1/votes/{vid}"

    # The group needs a street leader, more than half owners, the Jiangbei bodies.
    bad = client.post(f"{base}/preparatory-group/", {"members": VALID_GROUP[:-1]}, format="json")
    assert bad.status_code == 400 and "奇数" in bad.data["detail"]
    assert client.post(f"{base}/transition/", {"to": "nomination"}, format="json").status_code == 409
    assert client.post(f"{base}/preparatory-group/", {"members": VALID_GROUP}, format="json").status_code == 201
    assert client.post(f"{base}/transition/", {"to": "nomination"}, format="json").data["status"] == "nomination"

    # Six of the ten are on the party register (the one definition of a party member).
    branch = org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", world["community_a"])
    for _unit, owner in register60[:6]:
        PartyMember.objects.create(person=owner.person, organization=branch)
    candidates = []
    for i, (_unit, owner) in enumerate(register60[:10]):
        r = client.post(
            f"{base}/candidates/",
            {
                "owner": owner.pk,
                "nominated_by": "party" if i < 6 else "owners",
                "reported_party_member": i < 6,
                "statement": f"我是{i}号候选人",
            },
            format="json",
        )
        assert r.status_code == 201, r.data
        candidates.append(r.data["id"])
    assert client.post(f"{base}/transition/", {"to": "review"}, format="json").status_code == 200
    assert client.post(f"{base}/transition/", {"to": "notice"}, format="json").data["code"] == "review_pending"
    for cid in candidates:
        assert client.post(f"{base}/candidates/{cid}/review/", {"eligible": True}, format="json").status_code == 200
    r = client.post(f"{base}/transition/", {"to": "notice"}, format="json")
    assert r.status_code == 200 and r.data["notice_starts"] == str(timezone.localdate())
    too_soon = client.post(f"{base}/transition/", {"to": "voting"}, format="json")
    assert too_soon.status_code == 409 and too_soon.data["code"] == "notice_too_short"
    # As if the notice had gone up sixteen days ago (the law's fifteen days then have run).
    Vote.objects.filter(pk=vid).update(notice_starts=timezone.localdate() - datetime.timedelta(days=16))
    r = client.post(f"{base}/transition/", {"to": "voting"}, format="json")
    assert r.status_code == 200 and r.data["status"] == "voting", r.data
    assert r.data["roll_total_owners"] == 60
    serials = [f"P{i:03d}" for i in range(20)]
    assert client.post(f"{base}/paper-serials/", {"serials": serials}, format="json").status_code == 201

    # 50 of 60 owners vote, 10 per channel: 45 approve candidates 1–9, 5 approve the tenth only.
    voters = register60[10:60]
    online_users = _online_voters(world, voters[:10])
    serial = iter(serials)
    receipts = []
    for i, (unit, owner) in enumerate(voters):
        channel = CHANNELS[i // 10]
        approve = candidates[:9] if i % 10 else [candidates[9]]
        body = {"channel": channel, "approve": approve}
        if channel == "online":
            voter = api.as_user(online_users[i])
        else:
            voter = api.as_user(clerk)
            body["unit" if i % 2 else "owner"] = unit.pk if i % 2 else owner.pk
            if channel in ("central", "mobile_box"):
                body["paper_serial"] = next(serial)
            else:
                body["reference"] = f"{channel}-{i}"
        r = voter.post(f"{base}/ballots/", body, format="json")
        assert r.status_code == 201, r.data
        receipts.append(r.data["receipt_hash"])

    # The same owner again, by phone: refused and logged.
    dup = api.as_user(clerk).post(
        f"{base}/ballots/",
        {"channel": "phone", "reference": "again", "owner": voters[0][1].pk, "approve": []},
        format="json",
    )
    assert dup.status_code == 409 and dup.data["code"] == "duplicate"

    early = api.as_user(secretary).post(f"{base}/close/")
    assert early.status_code == 409 and early.data["code"] == "too_early"
    assert Vote.objects.get(pk=vid).status == "voting"
    Vote.objects.filter(pk=vid).update(closes_at=timezone.now())  # the announced time has come
    with django_capture_on_commit_callbacks(execute=True):
        assert api.as_user(secretary).post(f"{base}/close/").status_code == 202
    result = api.as_user(cast["resident"]).get(f"{base}/result/").data
    assert result["status"] == "counting" and result["threshold"] == "majority"
    assert result["quorum"]["met"] is True and result["quorum"]["voted_owners"] == 50
    assert result["quorum"]["total_owners"] == 60 and result["quorum"]["total_area"] == "6000.00"
    elected = [c["id"] for c in result["candidates"] if c["elected"]]
    assert elected == candidates[:9]
    tenth = result["candidates"][9]
    assert tenth["approve_owners"] == 5 and tenth["passed"] is False
    first = result["candidates"][0]
    assert first["approve_owners"] == 45 and isinstance(first["approve_area"], str)
    assert result["vacancies"] == 0 and result["ties"] == []
    assert result["party_members"] == {"candidates": 6, "elected": 6}
    assert all(result["by_channel"][ch]["ballots"] == 10 for ch in CHANNELS)
    assert result["refused"] == {"duplicate": 1}

    bulletin = api.as_user(cast["resident"]).get(f"{base}/bulletin/").data
    assert sorted(bulletin["receipts"]) == sorted(receipts)
    names = {o.person.name for _u, o in register60}
    assert not any(name in str(bulletin) for name in names)

    client = api.as_user(secretary)
    assert client.post(f"{base}/transition/", {"to": "preliminary"}, format="json").status_code == 200
    early = client.post(f"{base}/transition/", {"to": "final"}, format="json")
    assert early.status_code == 409 and early.data["code"] == "objection_window_open"
    Vote.objects.filter(pk=vid).update(objection_ends=timezone.localdate() - datetime.timedelta(days=1))
    assert client.post(f"{base}/transition/", {"to": "final"}, format="json").status_code == 200

    received = []

    def receiver(sender, vote, elected, actor, **kwargs):
        received.append((vote.pk, elected, actor))

    vote_filed.connect(receiver)
    try:
        assert client.post(f"{base}/transition/", {"to": "filed"}, format="json").data["code"] == "filing_required"
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(
                f"{base}/transition/",
                {"to": "filed", "filing_reference": "观街备〔2026〕12号", "filed_on": str(timezone.localdate())},
                format="json",
            )
        assert r.status_code == 200 and r.data["status"] == "filed"
    finally:
        vote_filed.disconnect(receiver)
    assert received == [(vid, [o.pk for _u, o in register60[:9]], secretary)]
    call_command("verify_vote", str(vid))
