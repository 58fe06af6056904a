from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from committees import services
from committees.models import MeetingKind
from committees.tests.factories import aware, committee
from core.errors import ApplicationError, Conflict
from elections.models import Matter
from governance.scoping import SYSTEM


@pytest.fixture
def seven(estate):
    board = committee(estate, n=7)
    return board, sorted((p.person for p in board.posts.all()), key=lambda p: p.pk)


def committee_meeting(estate, attendees):
    meeting = services.meeting_create(
        estate=estate,
        kind=MeetingKind.COMMITTEE,
        title="业委会例会",
        held_at=aware(2026, 4, 8),
        actor=SYSTEM,
        agenda=["审议停车收费方案"],
    )
    services.meeting_record_attendance(meeting=meeting, attendees=attendees, party_org=True, actor=SYSTEM)
    return meeting


@pytest.mark.parametrize(
    ("present", "votes_for", "passed"),
    [(4, 3, False), (4, 4, True), (7, 4, True), (7, 3, False), (5, 4, True)],
)
def test_a_committee_decision_needs_half_of_all_members(estate, seven, present, votes_for, passed):
    _board, members = seven
    meeting = committee_meeting(estate, members[:present])
    decision = services.decision_record(meeting=meeting, text="通过停车收费方案", votes_for=votes_for, actor=SYSTEM)
    assert (decision.members_total, decision.members_present, decision.passed) == (7, present, passed)


def test_a_committee_meeting_without_more_than_half_present_cannot_decide(estate, seven):
    _board, members = seven
    meeting = committee_meeting(estate, members[:3])
    with pytest.raises(ApplicationError) as err:
        services.decision_record(meeting=meeting, text="通过", votes_for=3, actor=SYSTEM)
    assert err.value.code == "no_quorum"


def test_a_decision_on_an_article_278_matter_is_major(estate, seven):
    _board, members = seven
    meeting = committee_meeting(estate, members)
    decision = services.decision_record(
        meeting=meeting, text="提请业主大会选聘物业", matter=Matter.MANAGER, votes_for=6, actor=SYSTEM
    )
    assert decision.is_major


def test_publishing_minutes_is_one_action_and_freezes_them(estate, seven, cast):
    _board, members = seven
    meeting = committee_meeting(estate, members)
    services.meeting_record_minutes(meeting=meeting, minutes="会议审议了停车收费方案。", actor=cast["committee_member"])
    services.meeting_publish_minutes(meeting=meeting, actor=cast["committee_member"])
    meeting.refresh_from_db()
    assert meeting.minutes_published
    with pytest.raises(Conflict):
        services.meeting_record_minutes(meeting=meeting, minutes="改写", actor=cast["committee_member"])


def test_minutes_cannot_be_published_empty(estate, seven):
    _board, members = seven
    meeting = committee_meeting(estate, members)
    with pytest.raises(ApplicationError):
        services.meeting_publish_minutes(meeting=meeting, actor=SYSTEM)


def test_a_deliberation_council_records_its_decision_as_stated(estate):
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.DELIBERATION, title="议事会", held_at=aware(2026, 4, 9), actor=SYSTEM
    )
    decision = services.decision_record(meeting=meeting, text="建议增设充电桩", passed=True, actor=SYSTEM)
    assert decision.passed and decision.members_total is None


def test_scheduling_a_committee_meeting_tells_oversight_on_commit(estate, seven, django_capture_on_commit_callbacks):
    from committees.signals import meeting_scheduled

    received = []

    def receiver(sender, meeting, **kwargs):
        received.append(meeting.pk)

    meeting_scheduled.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            meeting = committee_meeting(estate, seven[1])
    finally:
        meeting_scheduled.disconnect(receiver)
    assert received == [meeting.pk]


@given(total=st.integers(1, 11), data=st.data())
def test_the_committee_rule_holds_for_every_attendance_and_vote(total, data):
    present = data.draw(st.integers(0, total))
    votes_for = data.draw(st.integers(0, present))
    quorate, passed = services.committee_meeting_outcome(
        members_total=total, members_present=present, votes_for=votes_for
    )
    # The law's words: "more than half" attend; "at least half of all members" agree.
    assert quorate == (Fraction(present, total) > Fraction(1, 2))
    assert passed == (quorate and Fraction(votes_for, total) >= Fraction(1, 2))


def test_the_matter_migration_maps_each_old_text_value_to_the_same_article_278_matter():
    """Old decisions keep their meaning: each text value of 0001 becomes the elections matter with the same label."""
    import importlib

    initial = importlib.import_module("committees.migrations.0001_initial")
    mapping = importlib.import_module("committees.migrations.0007_decision_matter_data")
    decision = next(op for op in initial.Migration.operations if getattr(op, "name", "") == "Decision")
    old_choices = dict(dict(decision.fields)["matter"].choices)
    assert set(old_choices) <= set(mapping.NUMBERS)
    for value, label in old_choices.items():
        number = mapping.NUMBERS[value]
        if value == "routine":
            assert number is None
        else:
            assert str(Matter(number).label) == label


def test_a_routine_decision_has_no_matter_and_reads_as_routine(estate, seven):
    from committees.models import ROUTINE_LABEL

    _board, members = seven
    meeting = committee_meeting(estate, members)
    decision = services.decision_record(meeting=meeting, text="绿化补植", votes_for=6, actor=SYSTEM)
    assert decision.matter is None and not decision.is_major
    assert decision.get_matter_display() == ROUTINE_LABEL


def test_a_matter_outside_article_278_is_refused(estate, seven):
    from committees.models import Decision

    _board, members = seven
    meeting = committee_meeting(estate, members)
    with pytest.raises(ApplicationError) as err:
        services.decision_record(meeting=meeting, text="x", matter=10, votes_for=6, actor=SYSTEM)
    assert err.value.code == "bad_matter"
    assert not Decision.objects.exists()
