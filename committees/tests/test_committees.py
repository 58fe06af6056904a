import datetime

import pytest

from committees import selectors, services
from committees.models import CommitteeStatus, OwnersCommittee
from committees.tests.factories import committee, people
from core.errors import ApplicationError
from elections.signals import vote_filed
from governance.models import OrgKind, PostBody, PostKind
from governance.scoping import SYSTEM
from governance.services import organization_create, post_create
from residents.models import Owner, PartyMember


def test_a_committee_has_five_to_eleven_members_an_odd_number(estate):
    for n in (4, 6, 12):
        with pytest.raises(ApplicationError) as err:
            committee(estate, n=n)
        assert err.value.code == "committee_size"
    assert committee(estate, n=5).posts.count() == 5


def test_a_new_committee_ends_the_previous_term_and_its_posts(estate):
    old = committee(estate, n=5, term_start=datetime.date(2019, 1, 1))
    new = committee(estate, n=5, term_start=datetime.date(2024, 1, 1))
    old.refresh_from_db()
    assert old.status == CommitteeStatus.ENDED and old.ended_on == datetime.date(2023, 12, 31)
    assert all(post.end == datetime.date(2023, 12, 31) for post in old.posts.all())
    assert new.status == CommitteeStatus.CURRENT


def test_a_re_elected_member_keeps_their_post(estate):
    members = people(5, estate)
    committee(estate, term_start=datetime.date(2019, 1, 1), members=members, term_end=datetime.date(2023, 12, 31))
    new = committee(estate, term_start=datetime.date(2023, 6, 1), members=members)
    chair_posts = [p for p in new.posts.all() if p.kind == PostKind.CHAIR]
    assert len(chair_posts) == 1
    assert members[0].posts.filter(body=PostBody.OWNERS_COMMITTEE, kind=PostKind.CHAIR).count() == 1
    assert chair_posts[0].end == new.term_end
    assert selectors.committee_summary(new, on=datetime.date(2025, 1, 1)).members == 5


def test_the_summary_shows_party_share_one_shoulder_and_days_left(world, estate):
    community_org = organization_create(
        kind=OrgKind.COMMUNITY_COMMITTEE, name="南桥苑社区党委", place=world["community_a"], parent=None, actor=SYSTEM
    )
    branch = organization_create(
        kind=OrgKind.ESTATE_GENERAL_BRANCH, name="南方上格林党总支", place=estate, parent=community_org, actor=SYSTEM
    )
    members = people(9, estate)
    for person in members[:6]:
        PartyMember.objects.create(person=person, organization=branch)
    post_create(person=members[0], kind=PostKind.SECRETARY, body=PostBody.PARTY, organization=branch, actor=SYSTEM)
    board = committee(estate, members=members, term_start=datetime.date(2024, 1, 1))
    summary = selectors.committee_summary(board, on=datetime.date(2026, 1, 1))
    assert (summary.members, summary.party_members, summary.party_member_share) == (9, 6, "66.67")
    assert summary.meets_party_target and summary.chair_is_secretary
    assert summary.days_left == (board.term_end - datetime.date(2026, 1, 1)).days
    assert selectors.committee_summaries([board], on=datetime.date(2026, 1, 1))[board.pk] == summary


def test_an_estate_whose_term_ended_without_an_election_shows_as_lapsed(world, estate):
    committee(estate, n=5, term_start=datetime.date(2019, 1, 1), term_end=datetime.date(2023, 12, 31))
    world["district"].refresh_from_db()
    assert list(selectors.estates_with_lapsed_committee(world["district"], on=datetime.date(2024, 2, 1))) == [estate]
    assert not selectors.estates_with_lapsed_committee(world["district"], on=datetime.date(2023, 2, 1)).exists()


def test_filing_is_due_within_thirty_days(estate, cast):
    board = committee(estate, n=5, term_start=datetime.date(2026, 1, 1))
    assert board.filing_overdue(datetime.date(2026, 2, 1))
    services.committee_file(
        committee=board, filed_on=datetime.date(2026, 1, 20), reference="观街备〔2026〕3号", actor=cast["street_staff"]
    )
    assert not board.filing_overdue(datetime.date(2026, 2, 1))


def test_a_filed_election_records_the_committee_through_the_signal(estate, cast):
    from elections.models import Vote

    owners = [Owner.objects.create(person=p, place=estate) for p in people(5, estate)]
    vote = Vote.objects.create(
        estate=estate,
        kind="committee_election",
        title="第二届业委会选举",
        matter=3,
        seats=5,
        status="filed",
        notice_starts=datetime.date(2026, 1, 1),
        notice_days=15,
        opens_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 2, 8, tzinfo=datetime.UTC),
        objection_days=7,
        result_date=datetime.date(2026, 2, 9),
        filed_on=datetime.date(2026, 2, 20),
        filing_reference="观街备〔2026〕9号",
    )
    vote_filed.send(sender=Vote, vote=vote, elected=[o.pk for o in owners], actor=cast["street_staff"])
    board = OwnersCommittee.objects.get(election=vote)
    assert board.term_start == datetime.date(2026, 2, 9)
    assert board.filing_reference == "观街备〔2026〕9号"
    assert sorted(p.person_id for p in board.posts.all()) == sorted(o.person_id for o in owners)
    services.committee_assign_post(
        committee=board, person=owners[0].person, kind=PostKind.CHAIR, on=datetime.date(2026, 2, 12), actor=SYSTEM
    )
    summary = selectors.committee_summary(board, on=datetime.date(2026, 3, 1))
    assert summary.chair_id == owners[0].person_id and summary.members == 5


def test_an_election_with_a_vacancy_records_a_committee_short_of_its_seats(estate):
    from elections.models import Vote

    owners = [Owner.objects.create(person=p, place=estate) for p in people(6, estate)]
    vote = Vote.objects.create(
        estate=estate,
        kind="committee_election",
        title="选举",
        matter=3,
        seats=7,
        status="filed",
        notice_starts=datetime.date(2026, 1, 1),
        notice_days=15,
        opens_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 2, 8, tzinfo=datetime.UTC),
        objection_days=7,
        result_date=datetime.date(2026, 2, 9),
    )
    board = services.committee_record_from_election(vote=vote, elected=[o.pk for o in owners], actor=SYSTEM)
    assert board.posts.count() == 6


def test_an_election_the_committee_cannot_be_recorded_from_is_logged_not_raised(estate, cast):
    from elections.models import Vote
    from governance.models import AuditEvent

    vote = Vote.objects.create(
        estate=estate,
        kind="committee_election",
        title="选举",
        matter=3,
        seats=4,
        status="filed",
        notice_starts=datetime.date(2026, 1, 1),
        notice_days=15,
        opens_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 2, 8, tzinfo=datetime.UTC),
        objection_days=7,
    )
    vote_filed.send(sender=Vote, vote=vote, elected=[], actor=cast["street_staff"])
    assert not OwnersCommittee.objects.exists()
    assert AuditEvent.objects.filter(action="committee.record_refused", object_id=str(vote.pk)).exists()


def test_a_new_committee_ends_posts_from_before_the_platform_and_keeps_a_re_elected_chair(estate):
    chair, leaver = people(2, estate)
    old_chair = post_create(
        person=chair,
        kind=PostKind.CHAIR,
        body=PostBody.OWNERS_COMMITTEE,
        place=estate,
        start=datetime.date(2020, 8, 1),
        actor=SYSTEM,
    )
    old_member = post_create(
        person=leaver,
        kind=PostKind.MEMBER,
        body=PostBody.OWNERS_COMMITTEE,
        place=estate,
        start=datetime.date(2020, 8, 1),
        actor=SYSTEM,
    )
    others = people(4, estate)
    board = services.committee_record(
        estate=estate,
        term_start=datetime.date(2023, 6, 18),
        members=[(chair, PostKind.MEMBER)] + [(p, PostKind.MEMBER) for p in others],
        actor=SYSTEM,
    )
    old_member.refresh_from_db()
    assert old_member.end == datetime.date(2023, 6, 17)
    assert old_chair in board.posts.all()
    assert selectors.committee_summary(board, on=datetime.date(2024, 1, 1)).chair_id == chair.pk
