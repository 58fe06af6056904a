"""Every write service of the voting engine checks its actor's right itself (issue 8).

For each service: an actor without the right is refused (HTTP 403) and the database does not
change; a call without an actor (``None``) is refused too. The services are listed here one
by one; a new service in ``elections.services.__all__`` without a row fails the last test.
"""

import datetime

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import NotPermitted
from elections import services
from elections.models import BallotBox, Channel, Proxy, VoteKind, VoteStatus
from elections.tests.factories import VALID_GROUP, make_vote, open_election, open_resolution
from governance.models import AuditEvent
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOW = timezone.now


def _png():
    return SimpleUploadedFile("x.png", PNG, content_type="image/png")


@pytest.fixture
def scene(world, cast, ten_owners):
    """One vote at each stage the services need, built by the platform itself."""
    estate = world["estate_a"]
    draft = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5, title="草稿选举")
    nominating = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5, title="推荐中")
    services.preparatory_group_record(vote=nominating, members=VALID_GROUP, actor=SYSTEM)
    services.vote_transition(vote=nominating, to=VoteStatus.NOMINATION, actor=SYSTEM)
    candidate = services.candidate_nominate(
        vote=nominating, owner=ten_owners[0][1], nominated_by="owners", actor=SYSTEM
    )
    voting = open_resolution(estate, title="表决中")
    services.paper_serials_issue(vote=voting, serials=["S1", "S2"], actor=SYSTEM)
    ballot = services.ballot_cast(
        vote=voting, channel=Channel.PHONE, reference="T", owner_id=ten_owners[1][1].pk, choice="for", actor=SYSTEM
    )
    box = services.ballot_box_seal(vote=voting, label="箱1", channel=Channel.CENTRAL, actor=SYSTEM)
    proxy = services.proxy_register(vote=voting, owner=ten_owners[2][1], name="受托人", mandate=_png(), actor=SYSTEM)
    election = open_election(estate, [o for _u, o in ten_owners[:5]], seats=5, title="选举中")
    return {
        "draft": draft,
        "nominating": nominating,
        "candidate": candidate,
        "voting": voting,
        "ballot": ballot,
        "box": box,
        "proxy": proxy,
        "election": election,
        "owners": ten_owners,
    }


def _later():
    return NOW() + datetime.timedelta(days=1), NOW() + datetime.timedelta(days=3)


# (service, who lacks the right, the call)
CALLS = {
    "vote_create": (
        "resident",
        lambda s, actor, w: services.vote_create(
            estate=w["estate_a"],
            kind="resolution",
            matter=4,
            title="x",
            opens_at=_later()[0],
            closes_at=_later()[1],
            actor=actor,
        ),
    ),
    "preparatory_group_record": (
        "clerk",
        lambda s, actor, w: services.preparatory_group_record(vote=s["draft"], members=VALID_GROUP, actor=actor),
    ),
    "candidate_nominate": (
        "resident",
        lambda s, actor, w: services.candidate_nominate(
            vote=s["nominating"], owner=s["owners"][3][1], nominated_by="owners", actor=actor
        ),
    ),
    "candidate_review": (
        "committee_member",
        lambda s, actor, w: services.candidate_review(candidate=s["candidate"], eligible=True, reason="", actor=actor),
    ),
    "vote_transition": (
        "auditor",
        lambda s, actor, w: services.vote_transition(vote=s["draft"], to=VoteStatus.CANCELLED, reason="x", actor=actor),
    ),
    "vote_close": ("clerk", lambda s, actor, w: services.vote_close(vote=s["voting"], actor=actor)),
    "vote_extend": (
        "resident",
        lambda s, actor, w: services.vote_extend(vote=s["voting"], closes_at=_later()[1], actor=actor),
    ),
    "vote_notice_post": (
        "clerk",
        lambda s, actor, w: services.vote_notice_post(
            vote=s["draft"], posted_on=timezone.localdate(), posted_by="x", document=_png(), actor=actor
        ),
    ),
    "ballot_cast": (
        "resident",
        lambda s, actor, w: services.ballot_cast(
            vote=s["voting"],
            channel=Channel.PHONE,
            reference="R",
            owner_id=s["owners"][4][1].pk,
            choice="for",
            actor=actor,
        ),
    ),
    "ballot_void": ("clerk", lambda s, actor, w: services.ballot_void(ballot=s["ballot"], reason="x", actor=actor)),
    "paper_serials_issue": (
        "resident",
        lambda s, actor, w: services.paper_serials_issue(vote=s["voting"], serials=["S9"], actor=actor),
    ),
    "paper_serial_void": (
        "clerk",
        lambda s, actor, w: services.paper_serial_void(vote=s["voting"], serial="S2", reason="x", actor=actor),
    ),
    "voting_codes_issue": ("resident", lambda s, actor, w: services.voting_codes_issue(vote=s["voting"], actor=actor)),
    "ballot_box_seal": (
        "resident",
        lambda s, actor, w: services.ballot_box_seal(vote=s["voting"], label="箱2", channel="central", actor=actor),
    ),
    "ballot_box_finish": ("resident", lambda s, actor, w: services.ballot_box_finish(box=s["box"], actor=actor)),
    "proxy_register": (
        "resident",
        lambda s, actor, w: services.proxy_register(
            vote=s["voting"], owner=s["owners"][5][1], name="某", mandate=_png(), actor=actor
        ),
    ),
    "proxy_decide": ("clerk", lambda s, actor, w: services.proxy_decide(proxy=s["proxy"], accept=True, actor=actor)),
    "proxy_mandate_open": ("resident", lambda s, actor, w: services.proxy_mandate_open(proxy=s["proxy"], actor=actor)),
    "election_runoff_create": (
        "clerk",
        lambda s, actor, w: services.election_runoff_create(
            vote=s["election"], opens_at=_later()[0], closes_at=_later()[1], actor=actor
        ),
    ),
    "election_tie_settle": (
        "clerk",
        lambda s, actor, w: services.election_tie_settle(
            vote=s["election"], winners=[1], rule_text="x", document=_png(), actor=actor
        ),
    ),
    "election_by_election_create": (
        "clerk",
        lambda s, actor, w: services.election_by_election_create(
            vote=s["election"], seats=1, opens_at=_later()[0], closes_at=_later()[1], actor=actor
        ),
    ),
    "vote_export": ("secretary_a", lambda s, actor, w: services.vote_export(vote=s["voting"], actor=actor)),
    "tallies_recover": ("secretary_a", lambda s, actor, w: services.tallies_recover(actor=actor)),
}

# Services that take no actor: the platform runs them (a task, the beat), and no person may.
PLATFORM_ONLY = {"vote_tally", "close_due_votes", "vote_recount"}
# Functions re-exported beside the services that write nothing.
NOT_WRITES = {
    "BallotRefused",
    "TooManyAttempts",
    "TransitionRefused",
    "boxes_pending",
    "code_entry",
    "committee_members",
    "committee_refusal",
    "preparatory_group_refusal",
    "result_hash",
}


def _snapshot():
    """Every row the voting engine and the audit trail hold, as plain values."""
    rows = {}
    for model in [*apps.get_app_config("elections").get_models(), AuditEvent, Proxy, BallotBox]:
        rows[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return rows


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_service_refuses_an_actor_without_the_right_and_changes_nothing(name, scene, cast, world):
    who, call = CALLS[name]
    before = _snapshot()
    with pytest.raises(NotPermitted) as refused:
        call(scene, cast[who], world)
    assert refused.value.status == 403
    assert _snapshot() == before


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_service_refuses_a_call_that_names_no_actor(name, scene, world):
    _who, call = CALLS[name]
    before = _snapshot()
    with pytest.raises(NotPermitted):
        call(scene, None, world)
    assert _snapshot() == before


def test_every_write_service_has_a_row_here():
    exported = set(services.__all__)
    assert exported - set(CALLS) - PLATFORM_ONLY - NOT_WRITES == set()
